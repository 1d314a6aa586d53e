using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Portico.Formats;

/// Picks JSON or XML from `?format=` (where enabled) or the Accept header's quality values. JSON wins ties, and
/// a request without Accept gets JSON (when the route serves it).
internal static class FormatNegotiation
{
    public static ResponseFormat Choose(HttpRequest request, FormatsMetadata formats)
    {
        if (formats.Xml.FormatQuery && request.Query.TryGetValue("format", out var asked))
        {
            if (asked == "xml") return ResponseFormat.Xml;
            if (asked == "json" && formats.Json) return ResponseFormat.Json;
        }
        var accept = request.Headers.Accept;
        if (accept.Count == 0) return formats.Json ? ResponseFormat.Json : ResponseFormat.Xml;
        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges) || ranges.Count == 0)
            return formats.Json ? ResponseFormat.Json : ResponseFormat.Xml;
        double json = 0, xml = 0;
        foreach (var range in ranges)
        {
            var q = range.Quality ?? 1;
            // Media types are case-insensitive (RFC 9110, 8.3.1).
            var application = Is(range.Type, "application");
            var text = Is(range.Type, "text");
            var anySubtype = range.SubType.Value == "*";
            var any = range.Type.Value == "*" || (application && anySubtype);
            if (any || (application && (Is(range.SubType, "json") || Is(range.Suffix, "json"))))
                json = Math.Max(json, q);
            if (any || ((application || text) && (Is(range.SubType, "xml") || Is(range.Suffix, "xml"))) || (text && anySubtype))
                xml = Math.Max(xml, q);
        }
        if (!formats.Json) json = 0;
        if (json == 0 && xml == 0) return ResponseFormat.None;
        return xml > json ? ResponseFormat.Xml : ResponseFormat.Json;
    }

    internal static bool Is(Microsoft.Extensions.Primitives.StringSegment value, string expected) =>
        value.Equals(expected, StringComparison.OrdinalIgnoreCase);
}

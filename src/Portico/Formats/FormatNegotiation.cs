using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Portico.Formats;

/// Picks JSON or XML from `?format=` (where enabled) or the Accept header's quality values. JSON wins ties, and
/// a request without Accept gets JSON (when the route serves it).
public static class FormatNegotiation
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
            var type = range.Type.Value ?? "";
            var subtype = range.SubType.Value ?? "";
            var suffix = range.Suffix.Value ?? "";
            var any = type == "*" || (type == "application" && subtype == "*");
            if (any || (type == "application" && (subtype.Equals("json", StringComparison.OrdinalIgnoreCase) || suffix.Equals("json", StringComparison.OrdinalIgnoreCase))))
                json = Math.Max(json, q);
            if (any || (type is "application" or "text" && (subtype.Equals("xml", StringComparison.OrdinalIgnoreCase) || suffix.Equals("xml", StringComparison.OrdinalIgnoreCase)))
                || (type == "text" && subtype == "*"))
                xml = Math.Max(xml, q);
        }
        if (!formats.Json) json = 0;
        if (json == 0 && xml == 0) return ResponseFormat.None;
        return xml > json ? ResponseFormat.Xml : ResponseFormat.Json;
    }
}

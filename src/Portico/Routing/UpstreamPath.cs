using System.Text;
using Microsoft.AspNetCore.Http;

namespace Portico.Routing;

/// Encodes a decoded request path, or a route value, for the upstream's request line. Kestrel decodes every
/// escape in a path except %2F (an encoded '/' is data, not a separator); escaping that '%' once more (as YARP
/// does) would make the upstream read "%2F" as text, so an encoded slash reaches it as it came.
internal static class UpstreamPath
{
    public static string Encode(string decoded)
    {
        var slash = decoded.IndexOf("%2F", StringComparison.OrdinalIgnoreCase);
        if (slash < 0) return Escape(decoded);
        var sb = new StringBuilder(decoded.Length + 16);
        var start = 0;
        while (slash >= 0)
        {
            sb.Append(Escape(decoded[start..slash])).Append("%2F");
            start = slash + 3;
            slash = decoded.IndexOf("%2F", start, StringComparison.OrdinalIgnoreCase);
        }
        return sb.Append(Escape(decoded[start..])).ToString();
    }

    /// The upstream URL for an encoded path and a query.
    public static Uri Combine(string destinationPrefix, string encodedPath, QueryString query)
    {
        var prefix = destinationPrefix.EndsWith('/') && encodedPath.StartsWith('/') ? destinationPrefix[..^1] : destinationPrefix;
        return new Uri(prefix + encodedPath + query.ToUriComponent(), UriKind.Absolute);
    }

    // Every other '%' is data (Kestrel decoded %25 to it); PathString would keep "%41" as an escape, so escape it first.
    static string Escape(string value) => value.Length == 0 ? ""
        : value[0] == '/' ? new PathString(value.Replace("%", "%25", StringComparison.Ordinal)).ToUriComponent()
        : new PathString("/" + value.Replace("%", "%25", StringComparison.Ordinal)).ToUriComponent()[1..];
}

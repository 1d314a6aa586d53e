using Portico.Configuration;

namespace Portico.Formats;

/// Endpoint metadata of a route that serves XML besides (or instead of) JSON; absent when it serves JSON only.
internal sealed record FormatsMetadata(bool Json, XmlFormatOptions Xml)
{
    /// The route's formats, else its gateway's; null unless XML is among them.
    public static FormatsMetadata? For(RouteDefinition route, GatewayDefinition gateway)
    {
        var formats = route.Formats ?? gateway.Formats;
        if (formats is null || !formats.Contains("xml")) return null;
        var d = XmlFormatOptions.Default;
        var g = gateway.Xml;
        var r = route.Xml;
        var xml = new XmlFormatOptions(
            r?.Root ?? g?.Root ?? d.Root,
            r?.ItemName ?? g?.ItemName ?? d.ItemName,
            r?.FormatQuery ?? g?.FormatQuery ?? d.FormatQuery,
            r?.MaxDepth ?? g?.MaxDepth ?? d.MaxDepth,
            r?.MaxBodySize ?? g?.MaxBodySize ?? d.MaxBodySize);
        return new FormatsMetadata(formats.Contains("json"), xml);
    }
}

/// The format the response goes out in, once negotiated.
internal enum ResponseFormat { Json, Xml, None }

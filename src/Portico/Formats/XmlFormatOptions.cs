namespace Portico.Formats;

/// Compiled XML settings of an endpoint that serves XML.
/// <param name="Root">Element name of the document root.</param>
/// <param name="ItemName">Element name of each array element.</param>
/// <param name="FormatQuery">Whether `?format=xml` / `?format=json` overrides the Accept header.</param>
/// <param name="MaxDepth">Deepest nesting accepted in an XML request body.</param>
/// <param name="MaxBodySize">Largest XML request body accepted, in bytes.</param>
internal sealed record XmlFormatOptions(string Root, string ItemName, bool FormatQuery, int MaxDepth, long MaxBodySize)
{
    public static readonly XmlFormatOptions Default = new("response", "item", false, 64, 1024 * 1024);
}

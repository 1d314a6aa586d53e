namespace Portico.Configuration;

internal static partial class ConfigBinder
{
    static readonly Dictionary<string, string> FormatNames = new(StringComparer.Ordinal) { ["json"] = "json", ["xml"] = "xml" };

    /// `formats: [json, xml]` of a gateway or route; null when absent.
    static IReadOnlyList<string>? BindFormats(MappingReader r)
    {
        var node = r.Node("formats");
        if (node is null) return null;
        var list = new List<string>();
        var values = r.StringList(node);
        foreach (var value in values)
        {
            if (FormatNames.ContainsKey(value)) list.Add(value);
            else r.Error(node, $"'{value}' is not a format", Suggest.DidYouMean(value, FormatNames.Keys));
        }
        if (values.Count == 0) r.Error(node, "no format is listed", "list json, xml or both");
        return list;
    }

    static XmlFormatDefinition? BindXmlFormat(MappingReader r, List<ConfigError> errors)
    {
        var node = r.Node("xml");
        if (node is null) return null;
        var x = new MappingReader(node, errors, "XML settings");
        var result = new XmlFormatDefinition(x.String("root"), x.String("itemName"), x.Bool("formatQuery"), x.Int("maxDepth", 1, 1000), x.Size("maxBodySize"));
        x.Done();
        return result;
    }
}

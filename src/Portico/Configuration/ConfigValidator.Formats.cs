using System.Xml;

namespace Portico.Configuration;

internal static partial class ConfigValidator
{
    /// XML element names given for the root and array items must be valid names.
    static void ValidateFormats(PorticoConfig config, ConfigSourceMap where, List<ConfigError> errors)
    {
        void Check(XmlFormatDefinition? xml, string path)
        {
            foreach (var (key, value) in new[] { ("root", xml?.Root), ("itemName", xml?.ItemName) })
            {
                if (value is null) continue;
                try
                {
                    XmlConvert.VerifyNCName(value);
                }
                catch (XmlException)
                {
                    errors.Add(new ConfigError($"{path}.xml.{key}", $"'{value}' is not an XML element name", where.Find($"{path}.xml.{key}"), "use letters, digits, '_', '-' and '.', starting with a letter"));
                }
            }
        }
        foreach (var g in config.Gateways) Check(g.Xml, $"gateways.{g.Name}");
        foreach (var r in config.Routes) Check(r.Xml, r.ConfigPath);
    }
}

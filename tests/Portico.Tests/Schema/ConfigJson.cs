using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Portico.Configuration;

namespace Portico.Tests.Schema;

/// A parsed config as the JSON an editor's YAML language server validates: plain (unquoted) scalars that
/// look like YAML 1.2 core booleans, integers or floats are typed; quoted scalars are strings.
internal static partial class ConfigJson
{
    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerRegex();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatRegex();

    public static JToken FromText(string text, string source)
    {
        var errors = new List<ConfigError>();
        var root = ConfigDocumentParser.Parse(text, source, errors);
        errors.ShouldBeEmpty(string.Join(Environment.NewLine, errors));
        return root is null ? new JObject() : From(root);
    }

    public static JToken From(ConfigNode node) => node switch
    {
        ConfigMapping m => new JObject(m.Entries.Select(e => new JProperty(e.Key.Value!, From(e.Value)))),
        ConfigSequence s => new JArray(s.Items.Select(From)),
        ConfigScalar { Value: null } => JValue.CreateNull(),
        ConfigScalar { Quoted: true } q => new JValue(q.Value),
        ConfigScalar { Value: "true" or "True" or "TRUE" } => new JValue(true),
        ConfigScalar { Value: "false" or "False" or "FALSE" } => new JValue(false),
        ConfigScalar p when IntegerRegex().IsMatch(p.Value!) && long.TryParse(p.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => new JValue(l),
        ConfigScalar p when FloatRegex().IsMatch(p.Value!) => new JValue(double.Parse(p.Value!, CultureInfo.InvariantCulture)),
        ConfigScalar p => new JValue(p.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };
}

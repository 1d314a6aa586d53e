using System.Text.RegularExpressions;
using System.Xml;

namespace Portico.Formats;

/// The JSON ↔ XML mapping both directions share (documented in docs/configuration.md, "Formats").
/// Annotations live in their own namespace, so they never clash with member names.
public static partial class JsonXmlMapping
{
    public const string AnnotationNamespace = "urn:portico:json";
    public const string AnnotationPrefix = "j";
    public const string XsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

    /// `j:type` values: arrays always, empty objects, and strings that would otherwise read back as another type.
    public const string TypeAttribute = "type";
    public const string ArrayType = "array";
    public const string ObjectType = "object";
    public const string StringType = "string";

    /// A string XML 1.0 cannot carry (control characters, lone surrogates) travels as a JSON literal.
    public const string JsonType = "json";

    /// `j:name` carries a member name that has no element-name form (the empty name).
    public const string NameAttribute = "name";
    public const string EmptyNameElement = "_";

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex JsonNumberRegex();

    public static bool IsJsonNumber(string text) => JsonNumberRegex().IsMatch(text);

    /// Text that an unannotated element would read back as a number or boolean.
    public static bool ReadsAsNonString(string text) => text is "true" or "false" || IsJsonNumber(text);

    /// Element name for a member: reversible (XmlConvert's _xHHHH_ escapes); null for the empty name.
    public static string? ElementName(string member) => member.Length == 0 ? null : XmlConvert.EncodeLocalName(member);

    public static string MemberName(string localName) => XmlConvert.DecodeName(localName);

    public static bool IsXmlText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (XmlConvert.IsXmlChar(c)) continue;
            if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], c))
            {
                i++;
                continue;
            }
            return false;
        }
        return true;
    }
}

using System.Numerics;
using System.Xml;

namespace Portico.Formats;

/// The JSON ↔ XML mapping both directions share (documented in docs/configuration.md, "Formats").
/// Annotations live in their own namespace, so they never clash with member names.
internal static class JsonXmlMapping
{
    public const string AnnotationNamespace = "urn:portico:json";
    public const string AnnotationPrefix = "j";
    public const string XsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

    /// `j:type` values: arrays always, empty objects, and strings that would otherwise read back as another type.
    public const string TypeAttribute = "type";
    public const string ArrayType = "array";
    public const string ObjectType = "object";
    public const string StringType = "string";

    /// A string XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF) travels as a JSON literal.
    public const string JsonType = "json";

    /// `j:name` carries a member name that has no element-name form (the empty name).
    public const string NameAttribute = "name";
    public const string EmptyNameElement = "_";

    /// Whether the text is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    public static bool IsJsonNumber(string text) => IsJsonNumber<char>(text);

    /// <inheritdoc cref="IsJsonNumber(string)"/>
    public static bool IsJsonNumber(ReadOnlySpan<byte> utf8) => IsJsonNumber<byte>(utf8);

    static bool IsJsonNumber<T>(ReadOnlySpan<T> text) where T : unmanaged, IBinaryInteger<T>
    {
        var i = 0;
        if (At(text, i) == '-') i++;
        if (At(text, i) == '0') i++;
        else if (!Digits(text, ref i)) return false;
        if (At(text, i) == '.')
        {
            i++;
            if (!Digits(text, ref i)) return false;
        }
        if (At(text, i) is 'e' or 'E')
        {
            i++;
            if (At(text, i) is '+' or '-') i++;
            if (!Digits(text, ref i)) return false;
        }
        return i == text.Length;
    }

    static int At<T>(ReadOnlySpan<T> text, int i) where T : unmanaged, IBinaryInteger<T> => i < text.Length ? int.CreateTruncating(text[i]) : -1;

    /// Skips one or more digits; false when there is none.
    static bool Digits<T>(ReadOnlySpan<T> text, ref int i) where T : unmanaged, IBinaryInteger<T>
    {
        var start = i;
        while (At(text, i) is >= '0' and <= '9') i++;
        return i > start;
    }

    /// Element name for a member: reversible (XmlConvert's _xHHHH_ escapes); null for the empty name.
    public static string? ElementName(string member) => member.Length == 0 ? null : XmlConvert.EncodeLocalName(member);

    public static string MemberName(string localName) => XmlConvert.DecodeName(localName);
}

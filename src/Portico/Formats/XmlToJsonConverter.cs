using System.Text;
using System.Text.Json;
using System.Xml;

namespace Portico.Formats;

/// An XML document the gateway refuses to convert; the message is safe to show the client.
internal sealed class XmlBodyException(string message) : Exception(message);

/// Converts an XML document to JSON with the inverse of <see cref="JsonToXmlTranscoder"/>'s mapping, reading
/// node by node (XmlReader → Utf8JsonWriter). Parsing is locked down: no DTD (so no entity expansion), no
/// resolver (no external entities), and a nesting limit.
internal static class XmlToJsonConverter
{
    public static XmlReaderSettings ReaderSettings(long maxCharacters) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        MaxCharactersInDocument = maxCharacters,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false,
        CloseInput = false,
    };

    /// Throws <see cref="XmlBodyException"/> for structure the mapping cannot express or the limits refuse,
    /// and XmlException for malformed or forbidden XML (a DTD, for one).
    public static void Convert(XmlReader reader, Utf8JsonWriter json, int maxDepth)
    {
        if (reader.MoveToContent() != XmlNodeType.Element) throw new XmlBodyException("The body has no root element.");
        WriteValue(reader, json, 1, maxDepth);
        while (reader.Read())
        {
            if (reader.NodeType is XmlNodeType.Element or XmlNodeType.Text or XmlNodeType.CDATA)
                throw new XmlBodyException("Content after the root element.");
        }
        json.Flush();
    }

    /// Reader on an element's start tag; returns with the reader on that element's end (or empty) tag.
    static void WriteValue(XmlReader reader, Utf8JsonWriter json, int depth, int maxDepth)
    {
        if (depth > maxDepth) throw new XmlBodyException($"The XML is nested deeper than {maxDepth} levels.");
        var type = reader.GetAttribute(JsonXmlMapping.TypeAttribute, JsonXmlMapping.AnnotationNamespace);
        if (reader.GetAttribute("nil", JsonXmlMapping.XsiNamespace) is "true" or "1")
        {
            json.WriteNullValue();
            SkipContent(reader);
            return;
        }
        if (type == JsonXmlMapping.ArrayType)
        {
            json.WriteStartArray();
            ReadChildren(reader, child => WriteValue(reader, json, depth + 1, maxDepth));
            json.WriteEndArray();
            return;
        }
        if (type == JsonXmlMapping.ObjectType)
        {
            WriteObject(reader, json, depth, maxDepth);
            return;
        }
        if (reader.IsEmptyElement)
        {
            json.WriteStringValue("");
            return;
        }
        // Text until the end tag makes a scalar; a child element first makes an object.
        var text = new StringBuilder();
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.Whitespace:
                case XmlNodeType.SignificantWhitespace:
                    text.Append(reader.Value);
                    break;
                case XmlNodeType.Element:
                    if (!string.IsNullOrWhiteSpace(text.ToString())) throw new XmlBodyException($"Element '{reader.LocalName}' is mixed with text.");
                    json.WriteStartObject();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    WriteMember(reader, json, depth, maxDepth, seen);
                    ReadRemainingChildren(reader, _ => WriteMember(reader, json, depth, maxDepth, seen));
                    json.WriteEndObject();
                    return;
                case XmlNodeType.EndElement:
                    WriteScalar(json, text.ToString(), type);
                    return;
            }
        }
    }

    static void WriteObject(XmlReader reader, Utf8JsonWriter json, int depth, int maxDepth)
    {
        json.WriteStartObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        ReadChildren(reader, _ => WriteMember(reader, json, depth, maxDepth, seen));
        json.WriteEndObject();
    }

    static void WriteMember(XmlReader reader, Utf8JsonWriter json, int depth, int maxDepth, HashSet<string> seen)
    {
        var name = reader.GetAttribute(JsonXmlMapping.NameAttribute, JsonXmlMapping.AnnotationNamespace) ?? JsonXmlMapping.MemberName(reader.LocalName);
        if (!seen.Add(name)) throw new XmlBodyException($"Element '{reader.LocalName}' is repeated; mark its parent j:type=\"array\" ({JsonXmlMapping.AnnotationNamespace}) for a list.");
        json.WritePropertyName(name);
        WriteValue(reader, json, depth + 1, maxDepth);
    }

    /// Calls <paramref name="onChild"/> on each child element's start tag; text other than whitespace is refused.
    static void ReadChildren(XmlReader reader, Action<XmlReader> onChild)
    {
        if (!reader.IsEmptyElement) ReadRemainingChildren(reader, onChild);
    }

    static void ReadRemainingChildren(XmlReader reader, Action<XmlReader> onChild)
    {
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    onChild(reader);
                    break;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                    if (!string.IsNullOrWhiteSpace(reader.Value)) throw new XmlBodyException("Text is mixed with elements.");
                    break;
                case XmlNodeType.EndElement:
                    return;
            }
        }
    }

    static void SkipContent(XmlReader reader)
    {
        if (reader.IsEmptyElement) return;
        var depth = reader.Depth;
        while (reader.Read() && !(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
        {
        }
    }

    static void WriteScalar(Utf8JsonWriter json, string text, string? type)
    {
        if (type == JsonXmlMapping.StringType) json.WriteStringValue(text);
        else if (type == JsonXmlMapping.JsonType)
        {
            try
            {
                json.WriteRawValue(text);
            }
            catch (JsonException)
            {
                throw new XmlBodyException("An element marked j:type=\"json\" does not hold a JSON value.");
            }
        }
        else if (text is "true") json.WriteBooleanValue(true);
        else if (text is "false") json.WriteBooleanValue(false);
        else if (JsonXmlMapping.IsJsonNumber(text)) json.WriteRawValue(text);
        else json.WriteStringValue(text);
    }
}

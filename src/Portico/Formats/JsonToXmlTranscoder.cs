using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace Portico.Formats;

/// Converts JSON to XML as it arrives: bytes are fed in chunks to a Utf8JsonReader (its state carried between
/// chunks) and each token is written to the XmlWriter at once, so no document model of the body is built.
/// Only the token being read is buffered.
public sealed class JsonToXmlTranscoder : IDisposable
{
    readonly XmlWriter _xml;
    readonly XmlFormatOptions _options;
    readonly Stack<(bool IsArray, bool Empty)> _frames = new();
    JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
    byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    int _count;
    string? _member;
    bool _started;

    public JsonToXmlTranscoder(XmlWriter xml, XmlFormatOptions options)
    {
        _xml = xml;
        _options = options;
    }

    /// True once a whole JSON value was converted.
    public bool Completed { get; private set; }

    public static XmlWriterSettings WriterSettings { get; } = new()
    {
        Encoding = new UTF8Encoding(false),
        // \r must survive a round trip; parsers normalize a literal one to \n.
        NewLineHandling = NewLineHandling.Entitize,
        CloseOutput = false,
        Async = false,
    };

    /// Feeds the next chunk; throws JsonException on malformed JSON.
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_count + data.Length > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _count + data.Length));
            _buffer.AsSpan(0, _count).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        data.CopyTo(_buffer.AsSpan(_count));
        _count += data.Length;
        Process(isFinalBlock: false);
    }

    /// Ends the input; throws JsonException when it was not one complete JSON value.
    public void Complete()
    {
        Process(isFinalBlock: true);
        if (!Completed) throw new JsonException("The JSON body ended early.");
        _xml.WriteEndDocument();
        _xml.Flush();
    }

    void Process(bool isFinalBlock)
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(0, _count), isFinalBlock, _state);
        while (reader.Read()) Handle(ref reader);
        _state = reader.CurrentState;
        var consumed = (int)reader.BytesConsumed;
        _buffer.AsSpan(consumed, _count - consumed).CopyTo(_buffer);
        _count -= consumed;
        _xml.Flush();
    }

    void Handle(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName:
                _member = reader.GetString();
                break;
            case JsonTokenType.StartObject:
                StartElement();
                _frames.Push((false, true));
                break;
            case JsonTokenType.StartArray:
                StartElement();
                _xml.WriteAttributeString(JsonXmlMapping.AnnotationPrefix, JsonXmlMapping.TypeAttribute, JsonXmlMapping.AnnotationNamespace, JsonXmlMapping.ArrayType);
                _frames.Push((true, true));
                break;
            case JsonTokenType.EndObject:
                if (_frames.Pop().Empty)
                    _xml.WriteAttributeString(JsonXmlMapping.AnnotationPrefix, JsonXmlMapping.TypeAttribute, JsonXmlMapping.AnnotationNamespace, JsonXmlMapping.ObjectType);
                EndElement();
                break;
            case JsonTokenType.EndArray:
                _frames.Pop();
                EndElement();
                break;
            case JsonTokenType.String:
                StartElement();
                WriteString(reader.GetString()!);
                EndElement();
                break;
            case JsonTokenType.Number:
                StartElement();
                // Verbatim: big and precise numbers keep every digit (number tokens are never escaped).
                _xml.WriteString(Encoding.ASCII.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan));
                EndElement();
                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                StartElement();
                _xml.WriteString(reader.TokenType == JsonTokenType.True ? "true" : "false");
                EndElement();
                break;
            case JsonTokenType.Null:
                StartElement();
                _xml.WriteAttributeString("xsi", "nil", JsonXmlMapping.XsiNamespace, "true");
                EndElement();
                break;
        }
    }

    void WriteString(string value)
    {
        if (!JsonXmlMapping.IsXmlText(value))
        {
            _xml.WriteAttributeString(JsonXmlMapping.AnnotationPrefix, JsonXmlMapping.TypeAttribute, JsonXmlMapping.AnnotationNamespace, JsonXmlMapping.JsonType);
            var literal = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(literal)) json.WriteStringValue(value);
            _xml.WriteString(Encoding.UTF8.GetString(literal.WrittenSpan));
            return;
        }
        if (JsonXmlMapping.ReadsAsNonString(value))
            _xml.WriteAttributeString(JsonXmlMapping.AnnotationPrefix, JsonXmlMapping.TypeAttribute, JsonXmlMapping.AnnotationNamespace, JsonXmlMapping.StringType);
        if (value.Length > 0) _xml.WriteString(value);
    }

    void StartElement()
    {
        if (_frames.Count == 0)
        {
            if (_started) throw new JsonException("More than one JSON value in the body.");
            _started = true;
            _xml.WriteStartDocument();
            _xml.WriteStartElement(_options.Root);
            _xml.WriteAttributeString("xmlns", JsonXmlMapping.AnnotationPrefix, null, JsonXmlMapping.AnnotationNamespace);
            _xml.WriteAttributeString("xmlns", "xsi", null, JsonXmlMapping.XsiNamespace);
            return;
        }
        var (isArray, _) = _frames.Pop();
        _frames.Push((isArray, false));
        if (isArray)
        {
            _xml.WriteStartElement(_options.ItemName);
            return;
        }
        var member = _member!;
        var name = JsonXmlMapping.ElementName(member);
        _xml.WriteStartElement(name ?? JsonXmlMapping.EmptyNameElement);
        if (name is null) _xml.WriteAttributeString(JsonXmlMapping.AnnotationPrefix, JsonXmlMapping.NameAttribute, JsonXmlMapping.AnnotationNamespace, member);
    }

    void EndElement()
    {
        _xml.WriteEndElement();
        if (_frames.Count == 0) Completed = true;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Portico.Formats;

namespace Portico.Tests.Formats;

/// The JSON→XML transcoder as it was on Utf8JsonReader (before the hand-written scanner), kept unchanged as the
/// oracle the differential tests compare the shipped transcoder with: same XML for every input, same inputs rejected.
internal sealed class Utf8JsonReaderTranscoder : IDisposable
{
    static ReadOnlySpan<byte> Declaration => "<?xml version=\"1.0\" encoding=\"utf-8\"?>"u8;
    static ReadOnlySpan<byte> RootNamespaces => " xmlns:j=\"urn:portico:json\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""u8;
    static ReadOnlySpan<byte> ArrayAttribute => " j:type=\"array\""u8;
    static ReadOnlySpan<byte> ObjectAttribute => " j:type=\"object\""u8;
    static ReadOnlySpan<byte> StringAttribute => " j:type=\"string\""u8;
    static ReadOnlySpan<byte> JsonAttribute => " j:type=\"json\""u8;
    static ReadOnlySpan<byte> NilAttribute => " xsi:nil=\"true\""u8;
    static ReadOnlySpan<byte> EmptyNameElement => "_ j:name=\"\""u8;

    readonly XmlFormatOptions _options;
    readonly byte[] _root;
    readonly byte[] _item;
    readonly Stack<(bool IsArray, bool Empty)> _frames = new();
    readonly OutputBuffer _out = new();
    // Open elements' names, end to end; _nameEnds[i] is where the i-th name ends.
    byte[] _names = ArrayPool<byte>.Shared.Rent(256);
    int[] _nameEnds = ArrayPool<int>.Shared.Rent(32);
    int _nameCount;
    // The member whose value comes next, already in element-name form (empty: the JSON name was "").
    byte[] _member = ArrayPool<byte>.Shared.Rent(64);
    int _memberLength;
    JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
    byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    byte[] _scratch = ArrayPool<byte>.Shared.Rent(256);
    int _count;
    bool _started;
    bool _tagOpen;

    public Utf8JsonReaderTranscoder(XmlFormatOptions options)
    {
        _options = options;
        _root = Encoding.UTF8.GetBytes(options.Root);
        _item = Encoding.UTF8.GetBytes(options.ItemName);
    }

    /// True once a whole JSON value was converted.
    public bool Completed { get; private set; }

    /// XML written so far and not yet taken (<see cref="Consume"/>).
    public ReadOnlyMemory<byte> Output => _out.Written;

    /// Marks <see cref="Output"/> as sent; the buffer is reused.
    public void Consume() => _out.Clear();

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
    }

    void Process(bool isFinalBlock)
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(0, _count), isFinalBlock, _state);
        while (reader.Read()) Handle(ref reader);
        _state = reader.CurrentState;
        var consumed = (int)reader.BytesConsumed;
        _buffer.AsSpan(consumed, _count - consumed).CopyTo(_buffer);
        _count -= consumed;
    }

    void Handle(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName:
                SetMember(ref reader);
                break;
            case JsonTokenType.StartObject:
                StartElement();
                _frames.Push((false, true));
                break;
            case JsonTokenType.StartArray:
                StartElement();
                _out.Write(ArrayAttribute);
                _frames.Push((true, true));
                break;
            case JsonTokenType.EndObject:
                if (_frames.Pop().Empty) _out.Write(ObjectAttribute);
                EndElement();
                break;
            case JsonTokenType.EndArray:
                _frames.Pop();
                EndElement();
                break;
            case JsonTokenType.String:
                StartElement();
                WriteString(ref reader);
                EndElement();
                break;
            case JsonTokenType.Number:
                StartElement();
                // Verbatim: big and precise numbers keep every digit (number tokens are never escaped).
                CloseTag();
                _out.Write(reader.ValueSpan);
                EndElement();
                break;
            case JsonTokenType.True:
                StartElement();
                CloseTag();
                _out.Write("true"u8);
                EndElement();
                break;
            case JsonTokenType.False:
                StartElement();
                CloseTag();
                _out.Write("false"u8);
                EndElement();
                break;
            case JsonTokenType.Null:
                StartElement();
                _out.Write(NilAttribute);
                EndElement();
                break;
        }
    }

    /// The member name in element-name form: as it is when it is a plain ASCII name, else XmlConvert's reversible
    /// _xHHHH_ escapes (which also escape a literal "_x" that could read as one).
    void SetMember(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped && IsPlainName(raw))
        {
            SetMember(raw);
            return;
        }
        var name = reader.GetString()!;
        SetMember(name.Length == 0 ? [] : Encoding.UTF8.GetBytes(JsonXmlMapping.ElementName(name)!));
    }

    void SetMember(ReadOnlySpan<byte> name)
    {
        if (name.Length > _member.Length)
        {
            ArrayPool<byte>.Shared.Return(_member);
            _member = ArrayPool<byte>.Shared.Rent(name.Length);
        }
        name.CopyTo(_member);
        _memberLength = name.Length;
    }

    static bool IsPlainName(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || !(IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        for (var i = 1; i < name.Length; i++)
        {
            var c = name[i];
            if (IsAsciiLetter(c) || c is (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'.') continue;
            if (c == '_' && (i + 1 >= name.Length || name[i + 1] != 'x')) continue;
            return false;
        }
        return name[0] != '_' || name.Length == 1 || name[1] != 'x';
    }

    static bool IsAsciiLetter(byte c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';

    void WriteString(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> text;
        if (reader.ValueIsEscaped)
        {
            var max = reader.ValueSpan.Length;
            if (_scratch.Length < max)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = ArrayPool<byte>.Shared.Rent(max);
            }
            text = _scratch.AsSpan(0, reader.CopyString(_scratch));
        }
        else
        {
            text = reader.ValueSpan;
            // The reader checks structure, not the bytes inside strings; XML output must be well-formed UTF-8.
            if (!Utf8.IsValid(text)) throw new JsonException("A string in the body is not valid UTF-8.");
        }

        if (!IsXmlText(text))
        {
            // XML 1.0 cannot carry it (control characters, U+FFFE/U+FFFF): the string travels as a JSON literal.
            _out.Write(JsonAttribute);
            CloseTag();
            var literal = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(literal)) json.WriteStringValue(text);
            WriteEscaped(literal.WrittenSpan);
            return;
        }
        if (ReadsAsNonString(text))
        {
            _out.Write(StringAttribute);
        }
        if (text.Length > 0)
        {
            CloseTag();
            WriteEscaped(text);
        }
    }

    /// Element text as XmlWriter writes it with NewLineHandling.Entitize: &amp;, &lt;, &gt; and CR as &#xD;.
    void WriteEscaped(ReadOnlySpan<byte> text)
    {
        while (text.Length > 0)
        {
            var i = text.IndexOfAny("&<>\r"u8);
            if (i < 0)
            {
                _out.Write(text);
                return;
            }
            _out.Write(text[..i]);
            _out.Write(text[i] switch
            {
                (byte)'&' => "&amp;"u8,
                (byte)'<' => "&lt;"u8,
                (byte)'>' => "&gt;"u8,
                _ => "&#xD;"u8,
            });
            text = text[(i + 1)..];
        }
    }

    /// Characters XML 1.0 allows: no control character but tab, LF and CR; no U+FFFE or U+FFFF (EF BF BE/BF).
    static bool IsXmlText(ReadOnlySpan<byte> text)
    {
        var rest = text;
        int i;
        while ((i = rest.IndexOfAnyInRange((byte)0, (byte)0x1F)) >= 0)
        {
            if (rest[i] is not ((byte)'\t' or (byte)'\n' or (byte)'\r')) return false;
            rest = rest[(i + 1)..];
        }
        rest = text;
        while ((i = rest.IndexOf((byte)0xEF)) >= 0)
        {
            if (i + 2 < rest.Length && rest[i + 1] == 0xBF && rest[i + 2] >= 0xBE) return false;
            rest = rest[(i + 1)..];
        }
        return true;
    }

    /// Text that an unannotated element would read back as a number or boolean.
    static bool ReadsAsNonString(ReadOnlySpan<byte> text) =>
        text.SequenceEqual("true"u8) || text.SequenceEqual("false"u8) || JsonXmlMapping.IsJsonNumber(text);

    void StartElement()
    {
        if (_frames.Count == 0)
        {
            if (_started) throw new JsonException("More than one JSON value in the body.");
            _started = true;
            _out.Write(Declaration);
            _out.WriteByte((byte)'<');
            _out.Write(_root);
            PushName(_root);
            _out.Write(RootNamespaces);
            _tagOpen = true;
            return;
        }
        var (isArray, _) = _frames.Pop();
        _frames.Push((isArray, false));
        CloseTag();
        _out.WriteByte((byte)'<');
        if (isArray)
        {
            _out.Write(_item);
            PushName(_item);
        }
        else if (_memberLength == 0)
        {
            _out.Write(EmptyNameElement);
            PushName("_"u8);
        }
        else
        {
            var name = _member.AsSpan(0, _memberLength);
            _out.Write(name);
            PushName(name);
        }
        _tagOpen = true;
    }

    void CloseTag()
    {
        if (!_tagOpen) return;
        _out.WriteByte((byte)'>');
        _tagOpen = false;
    }

    void EndElement()
    {
        var start = _nameCount > 1 ? _nameEnds[_nameCount - 2] : 0;
        var name = _names.AsSpan(start, _nameEnds[_nameCount - 1] - start);
        if (_tagOpen)
        {
            _out.Write(" />"u8);
            _tagOpen = false;
        }
        else
        {
            _out.Write("</"u8);
            _out.Write(name);
            _out.WriteByte((byte)'>');
        }
        _nameCount--;
        if (_frames.Count == 0) Completed = true;
    }

    void PushName(ReadOnlySpan<byte> name)
    {
        var start = _nameCount > 0 ? _nameEnds[_nameCount - 1] : 0;
        if (start + name.Length > _names.Length) Grow(ref _names, start + name.Length, start);
        if (_nameCount == _nameEnds.Length) Grow(ref _nameEnds, _nameCount + 1, _nameCount);
        name.CopyTo(_names.AsSpan(start));
        _nameEnds[_nameCount++] = start + name.Length;
    }

    static void Grow<T>(ref T[] array, int needed, int used)
    {
        var bigger = ArrayPool<T>.Shared.Rent(Math.Max(array.Length * 2, needed));
        array.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<T>.Shared.Return(array);
        array = bigger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        ArrayPool<byte>.Shared.Return(_scratch);
        ArrayPool<byte>.Shared.Return(_member);
        ArrayPool<byte>.Shared.Return(_names);
        ArrayPool<int>.Shared.Return(_nameEnds);
        _buffer = _scratch = _member = _names = [];
        _nameEnds = [];
        _out.Dispose();
    }

    /// A growable byte buffer on the shared pool.
    sealed class OutputBuffer : IDisposable
    {
        byte[] _bytes = ArrayPool<byte>.Shared.Rent(16 * 1024);
        int _length;

        public ReadOnlyMemory<byte> Written => _bytes.AsMemory(0, _length);

        public void Clear() => _length = 0;

        public void Write(ReadOnlySpan<byte> data)
        {
            if (_length + data.Length > _bytes.Length) Grow(ref _bytes, _length + data.Length, _length);
            var destination = _bytes.AsSpan(_length, data.Length);
            // Most pieces are a few bytes (a name, a bracket): a loop beats a call to memmove for those.
            if (data.Length <= 16)
            {
                for (var i = 0; i < data.Length; i++) destination[i] = data[i];
            }
            else
            {
                data.CopyTo(destination);
            }
            _length += data.Length;
        }

        public void WriteByte(byte value)
        {
            if (_length == _bytes.Length) Grow(ref _bytes, _length + 1, _length);
            _bytes[_length++] = value;
        }

        public void WriteEndTag(ReadOnlySpan<byte> name)
        {
            WriteByte((byte)'<');
            WriteByte((byte)'/');
            Write(name);
            WriteByte((byte)'>');
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = [];
        }
    }
}

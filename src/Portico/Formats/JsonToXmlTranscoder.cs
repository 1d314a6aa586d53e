using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.ObjectPool;

namespace Portico.Formats;

/// Converts JSON to XML as it arrives: a scanner made for this one job reads each chunk where it lies and writes
/// every token at once as UTF-8 XML into <see cref="Output"/>, so no document model of the body is built and nothing
/// is allocated per token. It accepts exactly what Utf8JsonReader accepts with comments skipped and the default depth
/// of 64 (RFC 8259 JSON, plus `//` and `/* */` comments), and also rejects strings that are not valid UTF-8 or hold
/// a lone surrogate escape. Only a token cut by the end of a chunk is copied, to be finished with the next one.
internal sealed partial class JsonToXmlTranscoder : IDisposable
{
    const int MaxDepth = 64;

    static ReadOnlySpan<byte> Declaration => "<?xml version=\"1.0\" encoding=\"utf-8\"?>"u8;
    static ReadOnlySpan<byte> RootNamespaces => " xmlns:j=\"urn:portico:json\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""u8;
    static ReadOnlySpan<byte> ArrayAttribute => " j:type=\"array\""u8;
    static ReadOnlySpan<byte> ObjectAttribute => " j:type=\"object\""u8;
    static ReadOnlySpan<byte> StringAttribute => " j:type=\"string\""u8;
    static ReadOnlySpan<byte> JsonAttribute => " j:type=\"json\""u8;
    static ReadOnlySpan<byte> NilAttribute => " xsi:nil=\"true\""u8;
    static ReadOnlySpan<byte> EmptyNameAttribute => " j:name=\"\""u8;

    // Printable ASCII but '"', '\\' and what XML escapes: a string of these alone is copied as it is. The rest ends
    // the string, starts an escape, is forbidden raw, or is non-ASCII (to be checked as UTF-8).
    static readonly SearchValues<byte> PlainText = SearchValues.Create([
        .. Enumerable.Range(0x20, 0x5F).Select(b => (byte)b).Where(b => b is not ((byte)'"' or (byte)'\\' or (byte)'&' or (byte)'<' or (byte)'>'))]);
    static readonly SearchValues<byte> StringEnds = SearchValues.Create([(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);
    static readonly SearchValues<byte> NumberBytes = SearchValues.Create("0123456789+-.eE"u8);
    static readonly SearchValues<byte> Escapable = SearchValues.Create("\"\\/bfnrtu"u8);

    // Per byte, for member names: 1 may start an element name left as it is (ASCII letter, '_'), 2 may follow
    // (also digits, '-', '.'), 0 neither (the closing quote among them); 4 marks '_', which "_x" needs.
    static ReadOnlySpan<byte> NameBytes =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 5,
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// What the scanner expects next.
    enum Expect : byte { Value, ValueOrEnd, Name, NameOrEnd, Colon, CommaOrEnd, Nothing }

    // The element names of the root and of array items, from the options, as UTF-8.
    string _rootName = "";
    string _itemName = "";
    byte[] _root = [];
    byte[] _item = [];
    Expect _expect;
    int _depth;
    // Bit d is set when the container at depth d + 1 is an array.
    ulong _arrays;
    // The start tag of the innermost container still lacks its '>': no member or item was written yet.
    bool _tagOpen;
    bool _failed;

    // Open members' element names, end to end; _nameEnds[d] is where the name of depth d + 1 ends (items' are empty).
    byte[] _names = ArrayPool<byte>.Shared.Rent(256);
    NameEnds _nameEnds;

    // The member whose value comes next, in element-name form (empty: the JSON name was ""). It stays in the chunk
    // being scanned (from _memberStart) and is copied into _member only when the chunk ends before its value.
    byte[] _member = ArrayPool<byte>.Shared.Rent(64);
    int _memberStart;
    int _memberLength;
    bool _memberInChunk;

    // The start of a token that the last chunk cut, to be finished with the next.
    byte[] _pending = ArrayPool<byte>.Shared.Rent(4096);
    int _pendingLength;
    byte[] _scratch = ArrayPool<byte>.Shared.Rent(256);

    byte[] _xml = ArrayPool<byte>.Shared.Rent(16 * 1024);
    int _xmlLength;

    public JsonToXmlTranscoder(XmlFormatOptions options) => UseNames(options);

    /// Takes the element names of <paramref name="options"/>; the rows learned under other names are forgotten.
    internal void UseNames(XmlFormatOptions options)
    {
        if (options.Root != _rootName)
        {
            _rootName = options.Root;
            _root = Encoding.UTF8.GetBytes(options.Root);
        }
        if (options.ItemName == _itemName) return;
        _itemName = options.ItemName;
        _item = Encoding.UTF8.GetBytes(options.ItemName);
        _itemTags = [(byte)'<', .. _item, (byte)'>', (byte)'<', (byte)'/', .. _item, (byte)'>', .. new byte[32]];
        _itemClose = Vector256.Create(_itemTags.AsSpan(_item.Length + 2, 32));
        DisposeLayouts();
    }

    /// True once a whole JSON value was converted.
    public bool Completed => _expect == Expect.Nothing;

    /// XML written so far and not yet taken (<see cref="Consume"/>).
    public ReadOnlyMemory<byte> Output => _xml.AsMemory(0, _xmlLength);

    /// Marks <see cref="Output"/> as sent; the buffer is reused.
    public void Consume() => _xmlLength = 0;

    /// Feeds the next chunk; throws JsonException on malformed JSON.
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_failed) throw new JsonException("The JSON body was already found malformed.");
        if (data.IsEmpty) return;
        // XML mostly takes up to twice its JSON: room for it at once, not a copy per doubling of the buffer.
        Reserve(2 * data.Length);
        try
        {
            if (_pendingLength > 0 && !FinishPending(ref data)) return;
            var used = Scan(data, isFinalBlock: false);
            Keep(data[used..]);
        }
        catch (JsonException)
        {
            _failed = true;
            throw;
        }
    }

    /// Ends the input; throws JsonException when it was not one complete JSON value.
    public void Complete()
    {
        if (_failed) throw new JsonException("The JSON body was already found malformed.");
        _failed = true;
        Scan(_pending.AsSpan(0, _pendingLength), isFinalBlock: true);
        _pendingLength = 0;
        if (_expect != Expect.Nothing) throw new JsonException(_depth == 0 && _expect == Expect.Value ? "The JSON body holds no value." : "The JSON body ended early.");
        _failed = false;
    }

    /// Completes the token the last chunk cut with the head of this one; false when this chunk did not finish it either.
    bool FinishPending(ref ReadOnlySpan<byte> data)
    {
        while (true)
        {
            var carried = _pendingLength;
            // Enough to finish a short token, and at least as much as is carried: a long one is not rescanned every 4 KiB.
            var take = Math.Min(data.Length, Math.Max(carried, 4096));
            Keep(data[..take]);
            var used = Scan(_pending.AsSpan(0, _pendingLength), isFinalBlock: false);
            if (used >= carried)
            {
                data = data[(used - carried)..];
                _pendingLength = 0;
                return true;
            }
            _pending.AsSpan(used, _pendingLength - used).CopyTo(_pending);
            _pendingLength -= used;
            data = data[take..];
            if (data.IsEmpty) return false;
        }
    }

    /// Appends to the pending bytes.
    void Keep(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        if (_pendingLength + data.Length > _pending.Length) Grow(ref _pending, _pendingLength + data.Length, _pendingLength);
        data.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += data.Length;
    }

    /// Converts the whole tokens of <paramref name="data"/>; returns where the first token it could not finish starts.
    int Scan(ReadOnlySpan<byte> data, bool isFinalBlock)
    {
        var i = 0;
        while (true)
        {
            while (i < data.Length && data[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') i++;
            if (i == data.Length) break;
            var b = data[i];
            int next;
            // Utf8JsonReader skips comments wherever white space may be, except between a name and its colon.
            if (b == '/' && _expect != Expect.Colon) next = SkipComment(data, i, isFinalBlock);
            else next = _expect switch
            {
                Expect.Value => Value(data, i, isFinalBlock),
                Expect.ValueOrEnd => b == ']' ? End(data, i, isArray: true) : Value(data, i, isFinalBlock),
                Expect.Name => b == '"' ? Name(data, i, isFinalBlock) : throw Invalid(b, "is an invalid start of a property name"),
                Expect.NameOrEnd => b == '"' ? Name(data, i, isFinalBlock) : b == '}' ? End(data, i, isArray: false) : throw Invalid(b, "is an invalid start of a property name"),
                Expect.Colon => b == ':' ? Colon(i) : throw Invalid(b, "is invalid after a property name"),
                Expect.CommaOrEnd => b switch
                {
                    (byte)',' => Comma(i),
                    (byte)']' => End(data, i, isArray: true),
                    (byte)'}' => End(data, i, isArray: false),
                    _ => throw Invalid(b, "is invalid after a value"),
                },
                _ => throw Invalid(b, "is invalid after a single JSON value"),
            };
            if (next < 0)
            {
                if (isFinalBlock) throw new JsonException("The JSON body ended inside a token.");
                break;
            }
            i = next;
        }
        // A member name whose value is still to come must outlive the chunk it was read from.
        if (_memberInChunk) SetMember(data.Slice(_memberStart, _memberLength));
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int Colon(int i)
    {
        _expect = Expect.Value;
        return i + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int Comma(int i)
    {
        _expect = (_arrays & (1UL << (_depth - 1))) != 0 ? Expect.Value : Expect.Name;
        return i + 1;
    }

    int Value(ReadOnlySpan<byte> data, int i, bool isFinalBlock)
    {
        var b = data[i];
        if (b == '{' && _depth is > 0 and < MaxDepth && (_arrays & ~_rowsOff & (1UL << (_depth - 1))) != 0)
        {
            var row = Row(data, i);
            if (row >= 0) return row;
        }
        switch (b)
        {
            case (byte)'{':
            case (byte)'[':
                var isArray = b == '[';
                if (_depth == MaxDepth) throw new JsonException($"The JSON body nests deeper than {MaxDepth}.");
                var name = StartTag(data);
                // Items and the root are named by the options: only members' names need keeping.
                PushName(_depth > 0 && (_arrays & (1UL << (_depth - 1))) == 0 ? name : []);
                if (isArray)
                {
                    Put(ArrayAttribute);
                    _arrays |= 1UL << _depth;
                    // A new array: its items may be rows even where the last one's at this depth were not.
                    _rowsOff &= ~(1UL << _depth);
                    if (_layouts is { } layouts && _depth + 1 < layouts.Length) layouts[_depth + 1]?.Restart();
                }
                else
                {
                    _arrays &= ~(1UL << _depth);
                }
                _depth++;
                _tagOpen = true;
                _expect = isArray ? Expect.ValueOrEnd : Expect.NameOrEnd;
                return i + 1;
            case (byte)'"':
                return StringValue(data, i, isFinalBlock);
            case (byte)'t':
                return Literal(data, i, "true"u8, isFinalBlock);
            case (byte)'f':
                return Literal(data, i, "false"u8, isFinalBlock);
            case (byte)'n':
                if (data.Length - i < 4) return isFinalBlock ? throw Invalid(b, "starts an incomplete literal") : -1;
                if (!data.Slice(i, 4).SequenceEqual("null"u8)) throw Invalid(b, "starts an invalid literal");
                WriteEmpty(data, NilAttribute);
                return AfterValue(data, i + 4);
            case (byte)'-' or (>= (byte)'0' and <= (byte)'9'):
                return Number(data, i, isFinalBlock);
            default:
                throw Invalid(b, "is an invalid start of a value");
        }
    }

    int Literal(ReadOnlySpan<byte> data, int i, ReadOnlySpan<byte> literal, bool isFinalBlock)
    {
        if (data.Length - i < literal.Length) return isFinalBlock ? throw Invalid(data[i], "starts an incomplete literal") : -1;
        if (!data.Slice(i, literal.Length).SequenceEqual(literal)) throw Invalid(data[i], "starts an invalid literal");
        WriteScalar(data, [], literal);
        return AfterValue(data, i + literal.Length);
    }

    int Number(ReadOnlySpan<byte> data, int i, bool isFinalBlock)
    {
        var end = IntegerEnd(data, i);
        if (end > 0)
        {
            WriteScalar(data, [], data[i..end]);
            return AfterValue(data, end);
        }
        var length = NumberLength(data[i..]);
        if (length < 0)
        {
            // The number may go on in the next chunk.
            if (!isFinalBlock) return -1;
            length = data.Length - i;
        }
        var number = data.Slice(i, length);
        if (!JsonXmlMapping.IsJsonNumber(number)) throw new JsonException($"'{Encoding.UTF8.GetString(number)}' is not a JSON number.");
        // Verbatim: big and precise numbers keep every digit.
        WriteScalar(data, [], number);
        return AfterValue(data, i + length);
    }

    /// Where the number at <paramref name="i"/> ends when it is an integer without a leading zero whose digits end
    /// within the chunk (the usual case, known valid then); -1 for any other number.
    static int IntegerEnd(ReadOnlySpan<byte> data, int i)
    {
        var end = data[i] == '-' ? i + 1 : i;
        var digits = end;
        while (end < data.Length && (uint)(data[end] - '0') <= 9) end++;
        return end < data.Length && end > digits && (data[digits] != '0' || end == digits + 1)
            && data[end] is not ((byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-') ? end : -1;
    }

    /// Length of the run of bytes a number may hold; -1 when the run reaches the end of the chunk.
    static int NumberLength(ReadOnlySpan<byte> data)
    {
        // Most numbers are a few digits: a loop beats setting up a vectorized search.
        var i = 0;
        while (i < data.Length && (uint)(data[i] - '0') <= 9) i++;
        if (i == data.Length) return -1;
        if (data[i] is not ((byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-')) return i;
        var rest = data[i..].IndexOfAnyExcept(NumberBytes);
        return rest < 0 ? -1 : i + rest;
    }

    int StringValue(ReadOnlySpan<byte> data, int i, bool isFinalBlock)
    {
        var body = data[(i + 1)..];
        var plain = PlainLength(body);
        if (plain < 0) return isFinalBlock ? throw new JsonException("The JSON body ended inside a string.") : -1;
        if (body[plain] == '"')
        {
            var text = body[..plain];
            if (text.IsEmpty) WriteEmpty(data, []);
            else WriteScalar(data, text[0] is (byte)'-' or (<= (byte)'9' and >= (byte)'0') or (byte)'t' or (byte)'f' && ReadsAsNonString(text) ? StringAttribute : [], text);
            return AfterValue(data, i + plain + 2);
        }

        var length = StringLength(body, plain, out var escaped, isFinalBlock);
        if (length < 0) return -1;
        WriteString(data, Unescape(body[..length], escaped));
        return AfterValue(data, i + length + 2);
    }

    /// Length of the string body up to its closing quote, checking escapes and that no control character is raw;
    /// -1 when the chunk ends first.
    static int StringLength(ReadOnlySpan<byte> body, int from, out bool escaped, bool isFinalBlock)
    {
        escaped = false;
        var at = from;
        while (true)
        {
            var next = body[at..].IndexOfAny(StringEnds);
            if (next < 0) return isFinalBlock ? throw new JsonException("The JSON body ended inside a string.") : -1;
            at += next;
            var b = body[at];
            if (b == '"') return at;
            if (b != '\\') throw Invalid(b, "is invalid within a JSON string; it must be escaped");
            escaped = true;
            if (at + 1 == body.Length) return isFinalBlock ? throw new JsonException("The JSON body ended inside a string.") : -1;
            var e = body[at + 1];
            if (!Escapable.Contains(e)) throw Invalid(e, "is an invalid escapable character within a JSON string");
            if (e != 'u')
            {
                at += 2;
                continue;
            }
            for (var h = at + 2; h < at + 6; h++)
            {
                if (h == body.Length) return isFinalBlock ? throw new JsonException("The JSON body ended inside a string.") : -1;
                if (!char.IsAsciiHexDigit((char)body[h])) throw Invalid(body[h], "is not a hex digit following '\\u' within a JSON string");
            }
            at += 6;
        }
    }

    /// The string's UTF-8 text: escapes replaced, checked to be valid UTF-8 with no lone surrogate.
    ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> body, bool escaped)
    {
        if (!escaped)
        {
            return Utf8.IsValid(body) ? body : throw new JsonException("A string in the body is not valid UTF-8.");
        }
        // Unescaped text is never longer than its escaped form.
        if (_scratch.Length < body.Length) Grow(ref _scratch, body.Length, 0);
        var written = 0;
        while (!body.IsEmpty)
        {
            var slash = body.IndexOf((byte)'\\');
            var run = slash < 0 ? body : body[..slash];
            if (!Utf8.IsValid(run)) throw new JsonException("A string in the body is not valid UTF-8.");
            run.CopyTo(_scratch.AsSpan(written));
            written += run.Length;
            if (slash < 0) break;
            body = body[slash..];
            var e = body[1];
            if (e != 'u')
            {
                _scratch[written++] = e switch { (byte)'b' => 0x08, (byte)'f' => 0x0C, (byte)'n' => 0x0A, (byte)'r' => 0x0D, (byte)'t' => 0x09, _ => e };
                body = body[2..];
                continue;
            }
            var code = Hex(body[2..6]);
            body = body[6..];
            if (code is >= 0xD800 and <= 0xDFFF)
            {
                // A surrogate is only text as a high one escaped right before a low one.
                var low = code < 0xDC00 && body.Length >= 6 && body[0] == '\\' && body[1] == 'u' ? Hex(body[2..6]) : 0;
                if (low is < 0xDC00 or > 0xDFFF) throw new JsonException("A string in the body holds a lone surrogate escape.");
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                body = body[6..];
            }
            written += new Rune(code).EncodeToUtf8(_scratch.AsSpan(written));
        }
        return _scratch.AsSpan(0, written);
    }

    static int Hex(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var d in digits) value = (value << 4) | HexValue(d);
        return value;
    }

    static int HexValue(byte d) => d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10;

    /// A string that needs more than a copy: XML escapes, or the JSON-literal form XML 1.0 cannot carry otherwise.
    void WriteString(ReadOnlySpan<byte> data, ReadOnlySpan<byte> text)
    {
        var name = StartTag(data);
        if (!IsXmlText(text))
        {
            // XML 1.0 cannot carry it (control characters, U+FFFE/U+FFFF): the string travels as a JSON literal.
            Put(JsonAttribute);
            Put((byte)'>');
            var literal = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(literal)) json.WriteStringValue(text);
            WriteEscaped(literal.WrittenSpan);
            EndTag(name);
            return;
        }
        if (ReadsAsNonString(text)) Put(StringAttribute);
        if (text.IsEmpty)
        {
            Put(" />"u8);
            return;
        }
        Put((byte)'>');
        WriteEscaped(text);
        EndTag(name);
    }

    /// Element text as XmlWriter writes it with NewLineHandling.Entitize: &amp;, &lt;, &gt; and CR as &#xD;.
    void WriteEscaped(ReadOnlySpan<byte> text)
    {
        while (text.Length > 0)
        {
            var i = text.IndexOfAny("&<>\r"u8);
            if (i < 0)
            {
                Put(text);
                return;
            }
            Put(text[..i]);
            Put(text[i] switch
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

    /// Reads a member name and keeps it, in element-name form, for the value that follows.
    int Name(ReadOnlySpan<byte> data, int i, bool isFinalBlock)
    {
        var next = MemberName(data, i, isFinalBlock, out var name, out var inChunk);
        if (next < 0) return -1;
        if (inChunk)
        {
            _memberStart = i + 1;
            _memberLength = name.Length;
            _memberInChunk = true;
        }
        else
        {
            SetMember(name);
        }
        // The colon mostly follows at once.
        if (next < data.Length && data[next] == ':') return Colon(next);
        _expect = Expect.Colon;
        return next;
    }

    /// Reads the member name whose opening quote is at <paramref name="i"/>: returns where it ends (after its closing
    /// quote), or -1 when the chunk ends first, and its element name, which stays in the chunk when it needs no encoding.
    int MemberName(ReadOnlySpan<byte> data, int i, bool isFinalBlock, out ReadOnlySpan<byte> name, out bool inChunk)
    {
        var body = data[(i + 1)..];
        var plain = PlainNameLength(body, out var underscore);
        if (plain < body.Length && body[plain] == '"' && plain > 0 && NameBytes[body[0]] is 1 or 5 && !(underscore && body[..plain].IndexOf("_x"u8) >= 0))
        {
            name = body[..plain];
            inChunk = true;
            return i + plain + 2;
        }
        inChunk = false;
        var escaped = false;
        var length = plain < body.Length && body[plain] == '"' ? plain : StringLength(body, plain, out escaped, isFinalBlock);
        if (length < 0)
        {
            name = default;
            return -1;
        }
        var text = Unescape(body[..length], escaped);
        // The mapping's reversible _xHHHH_ escapes (which also escape a literal "_x" that could read as one).
        name = text.IsEmpty ? [] : Encoding.UTF8.GetBytes(JsonXmlMapping.ElementName(Encoding.UTF8.GetString(text))!);
        return i + length + 2;
    }

    /// Length of the run of bytes an element name left as it is may hold (XmlConvert.EncodeLocalName leaves ASCII
    /// letters, digits, '-', '.' and '_' as they are, but a leading digit, '-' or '.', and "_x").
    static int PlainNameLength(ReadOnlySpan<byte> body, out bool underscore)
    {
        var nameBytes = NameBytes;
        var kinds = 0;
        var i = 0;
        while (i < body.Length && nameBytes[body[i]] is var kind && kind != 0)
        {
            kinds |= kind;
            i++;
        }
        underscore = (kinds & 4) != 0;
        return i;
    }

    void SetMember(ReadOnlySpan<byte> name)
    {
        if (name.Length > _member.Length) Grow(ref _member, name.Length, 0);
        name.CopyTo(_member);
        _memberLength = name.Length;
        _memberInChunk = false;
    }

    /// Writes the start tag of the value about to be written, without its '>'; returns the element's name.
    ReadOnlySpan<byte> StartTag(ReadOnlySpan<byte> data)
    {
        if (_depth == 0)
        {
            Put(Declaration);
            Put((byte)'<');
            Put(_root);
            Put(RootNamespaces);
            return _root;
        }
        if (_tagOpen)
        {
            Put((byte)'>');
            _tagOpen = false;
        }
        Put((byte)'<');
        if ((_arrays & (1UL << (_depth - 1))) != 0)
        {
            Put(_item);
            return _item;
        }
        if (_memberLength == 0)
        {
            Put("_"u8);
            Put(EmptyNameAttribute);
            return "_"u8;
        }
        var name = _memberInChunk ? data.Slice(_memberStart, _memberLength) : _member.AsSpan(0, _memberLength);
        _memberInChunk = false;
        Put(name);
        return name;
    }

    /// A whole element: start tag with an optional attribute, the text, end tag.
    void WriteScalar(ReadOnlySpan<byte> data, ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> text)
    {
        if (_depth == 0 || (_memberLength == 0 && (_arrays & (1UL << (_depth - 1))) == 0))
        {
            var unusual = StartTag(data);
            Put(attribute);
            Put((byte)'>');
            Put(text);
            EndTag(unusual);
            return;
        }
        Element(ChildName(data), attribute, text);
    }

    /// A whole element named <paramref name="name"/>, after the '>' the open start tag still lacks.
    void Element(ReadOnlySpan<byte> name, ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> text)
    {
        // One reservation for the element, and short copies without a call: most pieces are a few bytes.
        Reserve(2 * name.Length + attribute.Length + text.Length + 6);
        var xml = _xml.AsSpan(_xmlLength);
        var at = 0;
        if (_tagOpen)
        {
            xml[at++] = (byte)'>';
            _tagOpen = false;
        }
        xml[at++] = (byte)'<';
        at += Copy(name, xml[at..]);
        at += Copy(attribute, xml[at..]);
        xml[at++] = (byte)'>';
        at += Copy(text, xml[at..]);
        xml[at++] = (byte)'<';
        xml[at++] = (byte)'/';
        at += Copy(name, xml[at..]);
        xml[at++] = (byte)'>';
        _xmlLength += at;
    }

    /// The element name of an item or a member with a name.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ReadOnlySpan<byte> ChildName(ReadOnlySpan<byte> data)
    {
        if ((_arrays & (1UL << (_depth - 1))) != 0) return _item;
        var name = _memberInChunk ? data.Slice(_memberStart, _memberLength) : _member.AsSpan(0, _memberLength);
        _memberInChunk = false;
        return name;
    }

    /// Copies and returns the length; a few bytes are moved as one or two words.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var n = source.Length;
        if (n is >= 8 and <= 16)
        {
            // Two overlapping words cover 8 to 16 bytes.
            MemoryMarshal.Write(destination, MemoryMarshal.Read<ulong>(source));
            MemoryMarshal.Write(destination[(n - 8)..], MemoryMarshal.Read<ulong>(source[(n - 8)..]));
        }
        else if (n is >= 4 and < 8)
        {
            MemoryMarshal.Write(destination, MemoryMarshal.Read<uint>(source));
            MemoryMarshal.Write(destination[(n - 4)..], MemoryMarshal.Read<uint>(source[(n - 4)..]));
        }
        else if (n < 4)
        {
            for (var i = 0; i < n; i++) destination[i] = source[i];
        }
        else if (n <= 32)
        {
            Vector128.Create(source).CopyTo(destination);
            Vector128.Create(source[(n - 16)..]).CopyTo(destination[(n - 16)..]);
        }
        else
        {
            source.CopyTo(destination);
        }
        return n;
    }

    /// An element without text: start tag with an optional attribute, closed at once.
    void WriteEmpty(ReadOnlySpan<byte> data, ReadOnlySpan<byte> attribute)
    {
        StartTag(data);
        Put(attribute);
        Put(" />"u8);
    }

    void EndTag(ReadOnlySpan<byte> name)
    {
        Put("</"u8);
        Put(name);
        Put((byte)'>');
    }

    /// After a scalar value, or a container's end; takes a comma that follows at once (the usual case).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int AfterValue(ReadOnlySpan<byte> data, int next)
    {
        if (_depth == 0)
        {
            _expect = Expect.Nothing;
            return next;
        }
        if (next < data.Length && data[next] == ',') return Comma(next);
        _expect = Expect.CommaOrEnd;
        return next;
    }

    int End(ReadOnlySpan<byte> data, int i, bool isArray)
    {
        if (isArray != ((_arrays & (1UL << (_depth - 1))) != 0)) throw Invalid(isArray ? (byte)']' : (byte)'}', "does not close the open container");
        var start = _depth > 1 ? _nameEnds[_depth - 2] : 0;
        var name = _depth == 1 ? _root : (_arrays & (1UL << (_depth - 2))) != 0 ? _item : _names.AsSpan(start, _nameEnds[_depth - 1] - start);
        if (_tagOpen)
        {
            if (!isArray) Put(ObjectAttribute);
            Put(" />"u8);
            _tagOpen = false;
        }
        else
        {
            EndTag(name);
        }
        _depth--;
        return AfterValue(data, i + 1);
    }

    void PushName(ReadOnlySpan<byte> name)
    {
        var start = _depth > 0 ? _nameEnds[_depth - 1] : 0;
        if (start + name.Length > _names.Length) Grow(ref _names, start + name.Length, start);
        name.CopyTo(_names.AsSpan(start));
        _nameEnds[_depth] = start + name.Length;
    }

    /// Skips a comment; returns where it ends, or -1 when the chunk ends first.
    static int SkipComment(ReadOnlySpan<byte> data, int i, bool isFinalBlock)
    {
        if (i + 1 == data.Length) return isFinalBlock ? throw Invalid((byte)'/', "is an invalid start of a value") : -1;
        var rest = data[(i + 2)..];
        if (data[i + 1] == '*')
        {
            var end = rest.IndexOf("*/"u8);
            if (end < 0) return isFinalBlock ? throw new JsonException("The JSON body ended inside a comment.") : -1;
            return i + 2 + end + 2;
        }
        if (data[i + 1] != '/') throw Invalid((byte)'/', "is an invalid start of a value");
        var at = 0;
        while (true)
        {
            var next = rest[at..].IndexOfAny((byte)'\n', (byte)'\r', (byte)0xE2);
            // A line comment may end with the body.
            if (next < 0) return isFinalBlock ? data.Length : -1;
            at += next;
            if (rest[at] != 0xE2) return i + 2 + at;
            // Utf8JsonReader refuses U+2028 and U+2029 (E2 80 A8/A9) in a line comment.
            if (at + 2 >= rest.Length)
            {
                if (!isFinalBlock) return -1;
            }
            else if (rest[at + 1] == 0x80 && rest[at + 2] is 0xA8 or 0xA9)
            {
                throw new JsonException("A comment holds a line or paragraph separator.");
            }
            at++;
        }
    }

    static JsonException Invalid(byte b, string what) =>
        new(b is >= 0x20 and < 0x7F ? $"'{(char)b}' {what}." : $"'0x{b:X2}' {what}.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Put(byte b)
    {
        Reserve(1);
        _xml[_xmlLength++] = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Put(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_xml.AsSpan(_xmlLength));
        _xmlLength += bytes.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Reserve(int length)
    {
        if (_xmlLength + length > _xml.Length) GrowXml(length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void GrowXml(int length) => Grow(ref _xml, _xmlLength + length, _xmlLength);

    internal static void Grow<T>(ref T[] array, int needed, int used)
    {
        var bigger = ArrayPool<T>.Shared.Rent(Math.Max(array.Length * 2, needed));
        array.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<T>.Shared.Return(array);
        array = bigger;
    }

    /// Makes the transcoder as new, for another body: the buffers are kept unless one grew past what is worth keeping.
    internal void Reset()
    {
        _expect = Expect.Value;
        _depth = 0;
        _arrays = 0;
        _rowsOff = 0;
        _tagOpen = false;
        _failed = false;
        _memberStart = _memberLength = 0;
        _memberInChunk = false;
        _pendingLength = 0;
        _xmlLength = 0;
        Shrink(ref _xml, KeptXmlBytes, 16 * 1024);
        Shrink(ref _pending, 64 * 1024, 4096);
        Shrink(ref _names, 64 * 1024, 256);
        Shrink(ref _member, 64 * 1024, 64);
        Shrink(ref _scratch, 64 * 1024, 256);
        foreach (var layout in _layouts ?? []) layout?.Clear();
    }

    /// Swaps an array grown over <paramref name="kept"/> items for a new one of <paramref name="size"/> (contents dropped).
    internal static void Shrink<T>(ref T[] array, int kept, int size)
    {
        if (array.Length <= kept) return;
        ArrayPool<T>.Shared.Return(array);
        array = ArrayPool<T>.Shared.Rent(size);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_pending);
        ArrayPool<byte>.Shared.Return(_scratch);
        ArrayPool<byte>.Shared.Return(_member);
        ArrayPool<byte>.Shared.Return(_names);
        ArrayPool<byte>.Shared.Return(_xml);
        _pending = _scratch = _member = _names = _xml = [];
        DisposeLayouts();
    }

    void DisposeLayouts()
    {
        foreach (var layout in _layouts ?? []) layout?.Dispose();
        _layouts = null;
    }

    // The XML buffer a pooled transcoder keeps: enough for a body whose XML is held whole (XmlResponseStream).
    const int KeptXmlBytes = 256 * 1024;

    // Transcoders between bodies: a response takes one and gives it back when done, so its buffers and learned
    // state objects are not made again for every response. A response holds its transcoder while it waits on the
    // network, so many are out at once under load: the pool keeps several per core, and one given back to a full pool
    // is disposed, so its buffers go back to the shared array pool rather than to the garbage collector.
    internal static readonly int PoolSize = Environment.ProcessorCount * 8;

    static readonly ObjectPool<JsonToXmlTranscoder> Pool =
        new DefaultObjectPoolProvider { MaximumRetained = PoolSize }.Create(new PoolPolicy());

    /// True once disposed: its buffers are given back and it must not be used again.
    internal bool Disposed => _xml.Length == 0;

    /// A transcoder for a new body with the names of <paramref name="options"/>, as new; give it back with
    /// <see cref="Return"/> once its output is taken.
    public static JsonToXmlTranscoder Rent(XmlFormatOptions options)
    {
        var transcoder = Pool.Get();
        transcoder.UseNames(options);
        return transcoder;
    }

    /// Gives back a transcoder from <see cref="Rent"/>, whatever state its body left it in; it must not be used after.
    public static void Return(JsonToXmlTranscoder transcoder) => Pool.Return(transcoder);

    sealed class PoolPolicy : IPooledObjectPolicy<JsonToXmlTranscoder>
    {
        public JsonToXmlTranscoder Create() => new(XmlFormatOptions.Default);

        public bool Return(JsonToXmlTranscoder transcoder)
        {
            transcoder.Reset();
            return true;
        }
    }

    [System.Runtime.CompilerServices.InlineArray(MaxDepth)]
    struct NameEnds
    {
        int _first;
    }
}

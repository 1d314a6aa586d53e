using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Portico.Formats;

/// The quick way through the items of an array that are objects with the same members (rows: the usual shape of a
/// large body). Each member whose JSON bytes up to its value are those of the item before is not read again (see
/// <see cref="RowLayout"/>), and a scalar value is written at once. Where an item differs, the layout learns the
/// new part; where the quick way stops (a nested value, an escaped string, a comment, the end of the chunk), the
/// scanner goes on from there in the state the item reached, so nothing is read twice.
internal sealed partial class JsonToXmlTranscoder
{
    // The layout of the items of the array at each depth.
    RowLayout?[]? _layouts;

    // Bit d - 1 is set when the items of the array at depth d are not rows: the quick way is not tried for them.
    ulong _rowsOff;

    // `<item></item>` and room to read 32 bytes from either tag; the end tag as a vector.
    byte[] _itemTags = [];
    Vector256<byte> _itemClose;

    /// Reads the object at <paramref name="i"/>, an array item, and the items that follow it directly; returns where
    /// the scanner goes on, or -1 when nothing was read (the scanner takes the object from its '{').
    [MethodImpl(MethodImplOptions.NoInlining)]
    int Row(ReadOnlySpan<byte> data, int i)
    {
        if (_layouts is null || _layouts.Length <= _depth) Array.Resize(ref _layouts, _depth + 4);
        var layout = _layouts[_depth] ??= new RowLayout(_item);
        if (!layout.StartItem())
        {
            _rowsOff |= 1UL << (_depth - 1);
            return -1;
        }
        if (!layout.Matches(0, data[i..], out var length) && (length = Learn(layout, 0, data, i)) < 0) return -1;
        // The item's start tag closes the array's.
        if (_tagOpen) Put((byte)'>');
        _tagOpen = false;
        // In the object, as the scanner's '{' would be.
        PushName([]);
        _arrays &= ~(1UL << _depth);
        var at = i;
        while (true)
        {
            // At the '{' of an item whose first part matched.
            if (layout.Quick && _item.Length <= 29)
            {
                var from = at;
                if (QuickItems(data, ref at, layout)) return AfterValue(data, at);
                // Stopped at an item it did not take, which the rest of the loop reads.
                if (at != from && !layout.StartItem())
                {
                    _rowsOff |= 1UL << (_depth - 1);
                    _expect = Expect.Value;
                    return at;
                }
                if (at != from && !layout.Matches(0, data[at..], out length) && (length = Learn(layout, 0, data, at)) < 0)
                {
                    _expect = Expect.Value;
                    return at;
                }
            }
            _depth++;
            at += length;
            ItemTag(open: true);
            for (var k = 1; ; k++)
            {
                var next = RowValue(data, at, layout, k - 1);
                if (next < 0)
                {
                    SetMember(layout.Name(k - 1));
                    _expect = Expect.Value;
                    return at;
                }
                at = next;
                if (!layout.Matches(k, data[at..], out length) && (length = Learn(layout, k, data, at)) < 0)
                {
                    _expect = Expect.CommaOrEnd;
                    return at;
                }
                at += length;
                if (layout.IsEnd(k)) break;
            }
            ItemTag(open: false);
            _depth--;
            // The next item, when it follows at once and starts as this one did.
            if (at + 1 >= data.Length || data[at] != ',' || data[at + 1] != '{') return AfterValue(data, at);
            at++;
            if (!layout.StartItem())
            {
                _rowsOff |= 1UL << (_depth - 1);
                _expect = Expect.Value;
                return at;
            }
            if (!layout.Matches(0, data[at..], out length) && (length = Learn(layout, 0, data, at)) < 0)
            {
                _expect = Expect.Value;
                return at;
            }
        }
    }

    /// `&lt;item&gt;` or `&lt;/item&gt;`.
    void ItemTag(bool open)
    {
        var length = _item.Length + (open ? 2 : 3);
        Put(_itemTags.AsSpan(open ? 0 : _item.Length + 2, length));
    }

    /// Converts the items from the one whose '{' is at <paramref name="at"/> on, each whole, for as long as each is
    /// exactly like the layout (every part's separator where it is expected) and every value is a scalar written
    /// at once: a string without escapes or bytes XML escapes, a number, true, false or null, within the chunk.
    /// An item is written past the output's end first and kept only once it is read to its '}', so an item it
    /// gives up on is left whole to the rest of <see cref="Row"/>. Returns true when it stopped after an item not
    /// followed by another (<paramref name="at"/> after its '}'), false at the '{' of an item it did not take.
    bool QuickItems(ReadOnlySpan<byte> data, ref int at, RowLayout layout)
    {
        ref var source = ref MemoryMarshal.GetReference(data);
        nint end = data.Length;
        nint p = at;
        var stopBytes = new StopBytes(0);
        // What an item writes besides its values, and the vectors written past the end.
        var tagBytes = layout.TagBytes + 32;
        while (true)
        {
            // Room for the item: its values are no longer than the rest of the chunk.
            var room = tagBytes + (int)(end - p);
            if (_xmlLength + room > _xml.Length) GrowXml(room);
            ref var xml = ref MemoryMarshal.GetArrayDataReference(_xml);
            nint w = _xmlLength;
            var q = p;
            ref var part = ref layout.Part(0);
            // The element before was closed already (empty or nil): the next tags are a start tag alone.
            var closed = false;
            // The stops in the item's first 64 bytes, found at once: most values end within them, and are found by a
            // shift instead of a search that would wait on where the value before ended.
            var window = p + 64 <= end
                ? stopBytes.Find(Vector256.LoadUnsafe(ref source, (nuint)p)) | ((ulong)stopBytes.Find(Vector256.LoadUnsafe(ref source, (nuint)(p + 32))) << 32)
                : 0;
            while (true)
            {
                if (q + 32 > end || !part.Matches(ref Unsafe.Add(ref source, q))) goto GiveUp;
                q += part.SeparatorLength;
                if (part.IsEnd) break;
                var b = Unsafe.Add(ref source, q);
                nint text, length;
                bool unusual;
                if (b == '"')
                {
                    text = q + 1;
                    nint e;
                    var offset = text - p;
                    var inWindow = offset < 64 ? window >> (int)offset : 0;
                    if (inWindow != 0)
                    {
                        e = text + BitOperations.TrailingZeroCount(inWindow);
                    }
                    else
                    {
                        e = offset < 64 && window != 0 ? p + 64 : text;
                        uint stops;
                        while (true)
                        {
                            if (e + 32 > end) goto GiveUp;
                            stops = stopBytes.Find(Vector256.LoadUnsafe(ref source, (nuint)e));
                            if (stops != 0) break;
                            e += 32;
                        }
                        e += BitOperations.TrailingZeroCount(stops);
                    }
                    if (Unsafe.Add(ref source, e) != '"') goto GiveUp;
                    length = e - text;
                    q = e + 1;
                    unusual = length == 0 || NonStringStarts[Unsafe.Add(ref source, text)] != 0;
                }
                else
                {
                    text = q;
                    q = QuickScalar(ref source, (int)end, (int)q);
                    if (q < 0) goto GiveUp;
                    length = q - text;
                    unusual = b == 'n';
                }
                // The tags before the value: the end tag of the one before and this one's start tag, at once.
                if (closed)
                {
                    part.OpenTag.StoreUnsafe(ref xml, (nuint)w);
                    w += part.NameLength + 2;
                }
                else
                {
                    part.Between.StoreUnsafe(ref xml, (nuint)w);
                    w += part.BetweenLength;
                }
                ref var value = ref Unsafe.Add(ref source, text);
                if (unusual)
                {
                    w = UnusualElement(ref xml, w, MemoryMarshal.CreateReadOnlySpan(ref value, (int)length), b == 'n', out closed);
                }
                else
                {
                    if (length <= 16) Vector128.LoadUnsafe(ref value).StoreUnsafe(ref xml, (nuint)w);
                    else if (length <= 32 && text + 32 <= end) Vector256.LoadUnsafe(ref value).StoreUnsafe(ref xml, (nuint)w);
                    else MemoryMarshal.CreateReadOnlySpan(ref value, (int)length).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref xml, w), (int)length));
                    w += length;
                    closed = false;
                }
                part = ref Unsafe.Add(ref part, 1);
            }
            if (closed)
            {
                _itemClose.StoreUnsafe(ref xml, (nuint)w);
                w += _item.Length + 3;
            }
            else
            {
                part.Between.StoreUnsafe(ref xml, (nuint)w);
                w += part.BetweenLength;
            }
            _xmlLength = (int)w;
            p = q;
            layout.QuickTook();
            if (p + 1 < end && Unsafe.Add(ref source, p) == ',' && Unsafe.Add(ref source, p + 1) == '{')
            {
                p++;
                continue;
            }
            at = (int)p;
            return true;
        GiveUp:
            layout.QuickMissed();
            at = (int)p;
            return false;
        }
    }

    /// After `&lt;name&gt;` at <paramref name="w"/>: a string value that is empty or may read as a number or boolean,
    /// or null, as `&lt;name /&gt;`, `&lt;name j:type="string"&gt;text` (or the plain text after all), or
    /// `&lt;name xsi:nil="true" /&gt;`, with room past it for a vector; returns where it ends, and whether the element
    /// is <paramref name="closed"/> already (else the tags after it end it).
    [MethodImpl(MethodImplOptions.NoInlining)]
    static nint UnusualElement(ref byte xml, nint w, ReadOnlySpan<byte> text, bool nil, out bool closed)
    {
        closed = nil || text.IsEmpty;
        if (closed)
        {
            // In place of the start tag's '>'.
            (nil ? QuickTails.Nil : QuickTails.Empty).StoreUnsafe(ref xml, (nuint)(w - 1));
            return w - 1 + (nil ? QuickTails.NilLength : QuickTails.EmptyLength);
        }
        if (ReadsAsNonString(text))
        {
            QuickTails.String.StoreUnsafe(ref xml, (nuint)(w - 1));
            w += QuickTails.StringLength - 1;
        }
        text.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref xml, w), text.Length));
        return w + text.Length;
    }

    /// Where the number, true, false or null at <paramref name="at"/> ends when it is whole within the chunk (and
    /// valid: RFC 8259's number grammar); -1 for anything else.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int QuickScalar(ref byte source, int end, int at)
    {
        if (at + 8 > end) return -1;
        var b = Unsafe.Add(ref source, at);
        var word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, at));
        if (b == 't') return word == QuickTails.True ? at + 4 : -1;
        if (b == 'n') return word == QuickTails.Null ? at + 4 : -1;
        if (b == 'f') return Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, at + 1)) == QuickTails.Alse ? at + 5 : -1;
        var i = b == '-' ? at + 1 : at;
        if (i == end) return -1;
        var d = Unsafe.Add(ref source, i);
        if (d == '0') i++;
        else if ((uint)(d - '1') <= 8) i = Digits(ref source, end, i + 1);
        else return -1;
        if (i < end && Unsafe.Add(ref source, i) == '.')
        {
            if (++i == end || (uint)(Unsafe.Add(ref source, i) - '0') > 9) return -1;
            i = Digits(ref source, end, i + 1);
        }
        if (i < end && (Unsafe.Add(ref source, i) | 0x20) == 'e')
        {
            if (++i < end && Unsafe.Add(ref source, i) is (byte)'+' or (byte)'-') i++;
            if (i == end || (uint)(Unsafe.Add(ref source, i) - '0') > 9) return -1;
            i = Digits(ref source, end, i + 1);
        }
        // A number that reaches the end of the chunk may go on in the next.
        return i < end ? i : -1;
    }

    /// Where the run of digits from <paramref name="i"/> ends.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Digits(ref byte source, int end, int i)
    {
        while (i < end && (uint)(Unsafe.Add(ref source, i) - '0') <= 9) i++;
        return i;
    }

    /// 1 for the bytes a string that may read as a number or boolean starts with (see <see cref="ReadsAsNonString"/>):
    /// '-', digits, 't', 'f'.
    static ReadOnlySpan<byte> NonStringStarts =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// Reads part <paramref name="k"/> of an item (`{` or `,` and a member name up to its value, or the `}`) at
    /// <paramref name="at"/> into the layout; returns its length, or -1 when it is not a part the quick way takes
    /// (an empty object, an empty name, a comment, the end of the chunk).
    int Learn(RowLayout layout, int k, ReadOnlySpan<byte> data, int at)
    {
        var p = SkipSpace(data, at + (k == 0 ? 1 : 0));
        if (p == data.Length) return -1;
        if (k > 0)
        {
            if (data[p] == '}')
            {
                layout.Set(k, data[at..(p + 1)], [], isEnd: true);
                return p + 1 - at;
            }
            if (data[p] != ',') return -1;
            p = SkipSpace(data, p + 1);
            if (p == data.Length) return -1;
        }
        if (data[p] != '"') return -1;
        p = MemberName(data, p, isFinalBlock: false, out var name, out _);
        if (p < 0 || name.IsEmpty) return -1;
        p = SkipSpace(data, p);
        if (p == data.Length || data[p] != ':') return -1;
        p = SkipSpace(data, p + 1);
        if (p == data.Length) return -1;
        layout.Set(k, data[at..p], name, isEnd: false);
        return p - at;
    }

    static int SkipSpace(ReadOnlySpan<byte> data, int i)
    {
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') i++;
        return i;
    }

    /// Writes the value of part <paramref name="k"/> at <paramref name="at"/>, a scalar; returns where it ends, or -1
    /// when it is not one the quick way takes (the scanner then reads it, and any error in it).
    int RowValue(ReadOnlySpan<byte> data, int at, RowLayout layout, int k)
    {
        if (at == data.Length) return -1;
        var b = data[at];
        if (b == '"')
        {
            var body = data[(at + 1)..];
            var plain = PlainLength(body);
            if (plain < 0 || body[plain] != '"') return -1;
            if (plain == 0) EmptyElement(layout.Name(k), []);
            else if (body[0] is (byte)'-' or (<= (byte)'9' and >= (byte)'0') or (byte)'t' or (byte)'f' && ReadsAsNonString(body[..plain])) Element(layout.Name(k), StringAttribute, body[..plain]);
            else RowElement(layout, k, body, plain);
            return at + plain + 2;
        }
        if (b is (byte)'-' or (>= (byte)'0' and <= (byte)'9'))
        {
            var end = IntegerEnd(data, at);
            if (end < 0)
            {
                var length = NumberLength(data[at..]);
                if (length < 0 || !JsonXmlMapping.IsJsonNumber(data.Slice(at, length))) return -1;
                end = at + length;
            }
            RowElement(layout, k, data[at..], end - at);
            return end;
        }
        var literal = b switch { (byte)'t' => "true"u8, (byte)'f' => "false"u8, (byte)'n' => "null"u8, _ => [] };
        if (literal.IsEmpty || !data[at..].StartsWith(literal)) return -1;
        if (b == 'n') EmptyElement(layout.Name(k), NilAttribute);
        else Element(layout.Name(k), [], literal);
        return at + literal.Length;
    }

    /// `&lt;name&gt;text&lt;/name&gt;` for part <paramref name="k"/>, the text being the first <paramref name="length"/>
    /// bytes of <paramref name="text"/>; short pieces are copied as one vector each, into room reserved past them.
    void RowElement(RowLayout layout, int k, ReadOnlySpan<byte> text, int length)
    {
        var open = layout.Open(k, out var openLength);
        var close = layout.Close(k, out var closeLength);
        Reserve(openLength + length + closeLength + 32);
        ref var xml = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_xml), _xmlLength);
        var at = CopyShort(ref xml, open, openLength);
        at += CopyShort(ref Unsafe.Add(ref xml, at), text, length);
        at += CopyShort(ref Unsafe.Add(ref xml, at), close, closeLength);
        _xmlLength += at;
    }

    /// Copies the first <paramref name="length"/> bytes of <paramref name="source"/>: as one vector when they fit in
    /// one and the source has that many bytes to read (the destination has room for it); returns the length.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int CopyShort(ref byte destination, ReadOnlySpan<byte> source, int length)
    {
        if (length <= 16 && source.Length >= 16)
        {
            Unsafe.WriteUnaligned(ref destination, Unsafe.ReadUnaligned<Vector128<byte>>(ref MemoryMarshal.GetReference(source)));
        }
        else if (length <= 32 && source.Length >= 32)
        {
            Unsafe.WriteUnaligned(ref destination, Unsafe.ReadUnaligned<Vector256<byte>>(ref MemoryMarshal.GetReference(source)));
        }
        else
        {
            source[..length].CopyTo(MemoryMarshal.CreateSpan(ref destination, length));
        }
        return length;
    }

    /// Length of the run of plain text (<see cref="PlainText"/>) at the start of <paramref name="body"/>; -1 when it
    /// runs to the end. Sixteen bytes at a time: below 0x20 or above 0x7E (signed, below 0x20 or 0x7F), or one of
    /// '"', '\\', '&amp;', '&lt;', '&gt;', ends it.
    static int PlainLength(ReadOnlySpan<byte> body)
    {
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(body);
            for (; i + 16 <= body.Length; i += 16)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                var stop = Vector128.LessThan(v.AsSByte(), Vector128.Create((sbyte)0x20)).AsByte()
                    | Vector128.Equals(v, Vector128.Create((byte)0x7F)) | Vector128.Equals(v, Vector128.Create((byte)'"'))
                    | Vector128.Equals(v, Vector128.Create((byte)'\\')) | Vector128.Equals(v, Vector128.Create((byte)'&'))
                    | Vector128.Equals(v, Vector128.Create((byte)'<')) | Vector128.Equals(v, Vector128.Create((byte)'>'));
                var mask = stop.ExtractMostSignificantBits();
                if (mask != 0) return i + BitOperations.TrailingZeroCount(mask);
            }
        }
        var rest = body[i..].IndexOfAnyExcept(PlainText);
        return rest < 0 ? -1 : i + rest;
    }

    void EmptyElement(ReadOnlySpan<byte> name, ReadOnlySpan<byte> attribute)
    {
        Put((byte)'<');
        Put(name);
        Put(attribute);
        Put(" />"u8);
    }
}

/// Finds the bytes that end plain text (<see cref="JsonToXmlTranscoder"/>'s PlainText) in 32 at once: below 0x20
/// or above 0x7E, or one of '"', '\\', '&amp;', '&lt;', '&gt;'. With AVX2, by each byte's two halves looked up in two
/// tables whose entries share a bit only for those bytes; else by comparisons. Made once per run of items, so the
/// tables stay in registers.
file readonly struct StopBytes
{
    readonly Vector256<byte> _high;
    readonly Vector256<byte> _low;

    // The constructor takes an argument: a struct's parameterless one would not run for default(StopBytes).
    public StopBytes(int unused)
    {
        _ = unused;
        // High half 0-1 or 8-F: all stop (bit 1). 2: '"' (2) and '&' (6), bit 2. 3: '<' (C) and '>' (E), bit 4.
        // 5: '\\' (C), bit 8. 7: DEL (F), bit 16.
        ReadOnlySpan<byte> high = [1, 1, 2, 4, 0, 8, 0, 16, 1, 1, 1, 1, 1, 1, 1, 1];
        ReadOnlySpan<byte> low = [1, 1, 3, 1, 1, 1, 3, 1, 1, 1, 1, 1, 13, 1, 5, 17];
        _high = Vector256.Create(Vector128.Create(high), Vector128.Create(high));
        _low = Vector256.Create(Vector128.Create(low), Vector128.Create(low));
    }

    /// A bit for each byte of <paramref name="v"/> that ends plain text.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Find(Vector256<byte> v)
    {
        if (Avx2.IsSupported)
        {
            var nibble = Vector256.Create((byte)0x0F);
            var high = Avx2.Shuffle(_high, Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble);
            var low = Avx2.Shuffle(_low, v & nibble);
            return ~Vector256.Equals(high & low, Vector256<byte>.Zero).ExtractMostSignificantBits();
        }
        return (Vector256.LessThan(v.AsSByte(), Vector256.Create((sbyte)0x20)).AsByte()
            | Vector256.Equals(v, Vector256.Create((byte)0x7F)) | Vector256.Equals(v, Vector256.Create((byte)'"'))
            | Vector256.Equals(v, Vector256.Create((byte)'\\')) | Vector256.Equals(v, Vector256.Create((byte)'&'))
            | Vector256.Equals(v, Vector256.Create((byte)'<')) | Vector256.Equals(v, Vector256.Create((byte)'>'))).ExtractMostSignificantBits();
    }
}

/// The pieces the quick way writes after `&lt;name`, each as a vector (only its length counts), and the literals it
/// reads as words.
file static class QuickTails
{
    public static readonly Vector256<byte> String = Pad(" j:type=\"string\">"u8);
    public static readonly Vector256<byte> Nil = Pad(" xsi:nil=\"true\" />"u8);
    public static readonly Vector256<byte> Empty = Pad(" />"u8);
    public const int StringLength = 17;
    public const int NilLength = 18;
    public const int EmptyLength = 3;
    public static readonly uint True = BitConverter.ToUInt32("true"u8);
    public static readonly uint Null = BitConverter.ToUInt32("null"u8);
    public static readonly uint Alse = BitConverter.ToUInt32("alse"u8);

    static Vector256<byte> Pad(ReadOnlySpan<byte> bytes)
    {
        Span<byte> padded = stackalloc byte[32];
        padded.Clear();
        bytes.CopyTo(padded);
        return Vector256.Create<byte>(padded);
    }
}

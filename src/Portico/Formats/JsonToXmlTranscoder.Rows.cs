using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Portico.Formats;

/// The quick way through the items of an array that are objects with the same members (rows: the usual shape of a
/// large body). Each member whose JSON bytes up to its value are those of the item before is not read again (see
/// <see cref="RowLayout"/>), and a scalar value is written at once. Where an item differs, the layout learns the
/// new part; where the quick way stops (a nested value, an escaped string, a comment, the end of the chunk), the
/// scanner goes on from there in the state the item reached, so nothing is read twice.
public sealed partial class JsonToXmlTranscoder
{
    // The layout of the items of the array at each depth.
    RowLayout?[]? _layouts;

    // Bit d - 1 is set when the items of the array at depth d are not rows: the quick way is not tried for them.
    ulong _rowsOff;

    // `<item></item>` and room to read 16 bytes from either tag.
    readonly byte[] _itemTags;

    /// Reads the object at <paramref name="i"/>, an array item, and the items that follow it directly; returns where
    /// the scanner goes on, or -1 when nothing was read (the scanner takes the object from its '{').
    [MethodImpl(MethodImplOptions.NoInlining)]
    int Row(ReadOnlySpan<byte> data, int i)
    {
        if (_layouts is null || _layouts.Length <= _depth) Array.Resize(ref _layouts, _depth + 4);
        var layout = _layouts[_depth] ??= new RowLayout();
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
        Reserve(length + 16);
        _xmlLength += CopyShort(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_xml), _xmlLength), _itemTags.AsSpan(open ? 0 : _item.Length + 2), length);
    }

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

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Portico.Formats;

/// The members of the last object read as an array item at one depth, in order: for each, the JSON bytes from the
/// end of the value before it (or the object's '{') to the start of its value, e.g. `,"name":`, and its element
/// name with the tags made of it; then the bytes that end the object (`}`). The items of a large array mostly
/// repeat them byte for byte, so a separator is compared as two words and a short tag written as one vector.
internal sealed class RowLayout : IDisposable
{
    // Room after the last byte in use: a tag up to 32 bytes long is read as 32 bytes at once.
    const int Slack = 32;

    // Items in a row that differed from the one before (each part learned counts), to give up on arrays whose items
    // are not rows: learning a part costs more than the scanner reading it.
    const int MaxMisses = 4;

    // `<item>` and `</item>`: the first part's tags open an item, the end's close it.
    readonly byte[] _itemOpen;
    readonly byte[] _itemClose;

    byte[] _bytes = ArrayPool<byte>.Shared.Rent(256);
    RowPart[] _parts = ArrayPool<RowPart>.Shared.Rent(8);
    int _count;
    int _learned;
    int _learnedBefore;
    int _misses;
    int _quickMisses;
    bool _quick;

    public RowLayout(ReadOnlySpan<byte> item)
    {
        _itemOpen = [(byte)'<', .. item, (byte)'>'];
        _itemClose = [(byte)'<', (byte)'/', .. item, (byte)'>'];
    }

    /// Parts known so far.
    public int Count => _count;

    /// The most an item writes besides its values' text: for each part, its tags, an attribute and room for the
    /// vectors written past them.
    public int TagBytes { get; private set; }

    /// Whether the quick way takes whole items (<see cref="JsonToXmlTranscoder"/>'s QuickItems): every part is
    /// <see cref="RowPart.Quick"/>, the last is the end, and items it tried lately mostly went through.
    public bool Quick => _quick && _quickMisses <= MaxMisses;

    /// After the quick way took items: they were all alike, and it goes on trying.
    public void QuickTook()
    {
        _misses = 0;
        _learnedBefore = _learned;
        _quickMisses = 0;
    }

    /// The quick way gave up on an item.
    public void QuickMissed() => _quickMisses++;

    /// Called as an item starts; false once the items before it differed too often for the layout to pay.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool StartItem()
    {
        _misses = _learned != _learnedBefore ? _misses + 1 : 0;
        _learnedBefore = _learned;
        return _misses <= MaxMisses;
    }

    /// For a new array at this depth: its items get their chances again.
    public void Restart()
    {
        _misses = 0;
        _quickMisses = 0;
        _learnedBefore = _learned;
    }

    /// Forgets every part, for another body.
    public void Clear()
    {
        _count = _learned = _learnedBefore = _misses = _quickMisses = 0;
        _quick = false;
        TagBytes = 0;
        JsonToXmlTranscoder.Shrink(ref _bytes, 64 * 1024, 256);
        JsonToXmlTranscoder.Shrink(ref _parts, 256, 8);
    }

    /// Part <paramref name="k"/>, which must be below <see cref="Count"/>.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref RowPart Part(int k) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_parts), k);

    /// Whether part <paramref name="k"/> is known and <paramref name="data"/> starts with its separator.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(int k, ReadOnlySpan<byte> data, out int length)
    {
        if (k >= _count)
        {
            length = 0;
            return false;
        }
        ref readonly var part = ref Part(k);
        length = part.SeparatorLength;
        if (data.Length >= 32) return part.Matches(ref MemoryMarshal.GetReference(data)) && (length <= 32 || data.StartsWith(Separator(k)));
        return data.StartsWith(Separator(k));
    }

    ReadOnlySpan<byte> Separator(int k)
    {
        ref readonly var part = ref Part(k);
        return _bytes.AsSpan(part.Start, part.SeparatorLength);
    }

    public bool IsEnd(int k) => Part(k).IsEnd;

    public ReadOnlySpan<byte> Name(int k)
    {
        ref readonly var part = ref Part(k);
        return _bytes.AsSpan(part.Start + part.SeparatorLength + 1, part.NameLength);
    }

    /// `&lt;name&gt;` of part <paramref name="k"/>: its length, and the bytes from its start to the end of the buffer
    /// (at least 16), for a copy that reads a whole vector.
    public ReadOnlySpan<byte> Open(int k, out int length)
    {
        ref readonly var part = ref Part(k);
        length = part.NameLength + 2;
        return _bytes.AsSpan(part.Start + part.SeparatorLength);
    }

    /// `&lt;/name&gt;` of part <paramref name="k"/>, as <see cref="Open"/>.
    public ReadOnlySpan<byte> Close(int k, out int length)
    {
        ref readonly var part = ref Part(k);
        length = part.NameLength + 3;
        return _bytes.AsSpan(part.Start + part.SeparatorLength + part.NameLength + 2);
    }

    /// Makes <paramref name="separator"/> part <paramref name="k"/> (the end when <paramref name="isEnd"/>); the
    /// parts after it are forgotten, since what follows a different separator is not known.
    public void Set(int k, ReadOnlySpan<byte> separator, ReadOnlySpan<byte> name, bool isEnd)
    {
        var start = k == 0 ? 0 : Part(k - 1).End;
        var end = start + separator.Length + (isEnd ? 0 : 2 * name.Length + 5);
        if (end + Slack > _bytes.Length) JsonToXmlTranscoder.Grow(ref _bytes, end + Slack, start);
        if (k == _parts.Length) JsonToXmlTranscoder.Grow(ref _parts, k + 1, k);
        var bytes = _bytes.AsSpan(start);
        separator.CopyTo(bytes);
        if (!isEnd)
        {
            var tags = bytes[separator.Length..];
            tags[0] = (byte)'<';
            name.CopyTo(tags[1..]);
            tags[name.Length + 1] = (byte)'>';
            tags[name.Length + 2] = (byte)'<';
            tags[name.Length + 3] = (byte)'/';
            name.CopyTo(tags[(name.Length + 4)..]);
            tags[2 * name.Length + 4] = (byte)'>';
        }
        // What is written before the value: the end tag of the value before (or the item's start tag) and this
        // one's start tag; for the end, the last value's end tag and the item's.
        Span<byte> between = stackalloc byte[name.Length + (k > 0 ? Part(k - 1).NameLength : 0) + _itemClose.Length + 8];
        var length = 0;
        if (k == 0) length += Append(between, length, _itemOpen);
        else length += Append(between, length, Close(k - 1, out var closeLength)[..closeLength]);
        if (isEnd) length += Append(between, length, _itemClose);
        else length += Append(between, length, bytes.Slice(separator.Length, name.Length + 2));
        _parts[k] = new RowPart(start, separator, isEnd ? -1 : name.Length, _bytes.AsSpan(start + separator.Length), between[..length]);
        _count = k + 1;
        _learned++;
        _quick = isEnd;
        TagBytes = 0;
        for (var j = 0; j <= k; j++)
        {
            _quick &= _parts[j].Quick;
            TagBytes += _parts[j].BetweenLength + 17 + 32;
        }
    }

    static int Append(Span<byte> to, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(to[at..]);
        return bytes.Length;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_bytes);
        ArrayPool<RowPart>.Shared.Return(_parts);
        _bytes = [];
        _parts = [];
        _count = 0;
    }
}

/// One part of a <see cref="RowLayout"/>: where its bytes start (the separator, then `&lt;name&gt;` and
/// `&lt;/name&gt;`, none for the end), the separator's first 32 bytes as a vector with a mask of the bytes it has,
/// and as vectors what the quick way writes: the tags before the value (<see cref="Between"/>), and the start tag
/// alone for when the element before was closed already.
internal readonly struct RowPart
{
    public readonly Vector256<byte> Separator;
    public readonly Vector256<byte> SeparatorMask;
    public readonly Vector256<byte> OpenTag;
    public readonly Vector256<byte> Between;
    public readonly int Start;
    public readonly int SeparatorLength;

    // -1 for the end.
    public readonly int NameLength;
    public readonly int BetweenLength;

    public RowPart(int start, ReadOnlySpan<byte> separator, int nameLength, ReadOnlySpan<byte> tags, ReadOnlySpan<byte> between)
    {
        Start = start;
        SeparatorLength = separator.Length;
        NameLength = nameLength;
        BetweenLength = between.Length;
        Separator = Pad(separator, out var known);
        Span<byte> mask = stackalloc byte[32];
        mask.Clear();
        mask[..known].Fill(0xFF);
        SeparatorMask = Vector256.Create<byte>(mask);
        if (Quick)
        {
            if (nameLength >= 0) OpenTag = Pad(tags[..(nameLength + 2)], out _);
            Between = Pad(between, out _);
        }
    }

    public bool IsEnd => NameLength < 0;

    public int End => IsEnd ? Start + SeparatorLength : Start + SeparatorLength + 2 * NameLength + 5;

    /// The quick way takes the part: a separator of 32 bytes or less, and what it writes before the value as one
    /// vector.
    public bool Quick => SeparatorLength <= 32 && BetweenLength <= 32;

    public int OpenLength => NameLength + 2;

    /// Whether the 32 bytes at <paramref name="at"/> start with the separator's first 32.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(ref byte at) => Avx.IsSupported
        ? Avx.TestZ(Vector256.LoadUnsafe(ref at) ^ Separator, SeparatorMask)
        : ((Vector256.LoadUnsafe(ref at) ^ Separator) & SeparatorMask) == Vector256<byte>.Zero;

    /// The first 32 bytes of <paramref name="bytes"/>, zeros after them.
    static Vector256<byte> Pad(ReadOnlySpan<byte> bytes, out int known)
    {
        Span<byte> padded = stackalloc byte[32];
        padded.Clear();
        known = Math.Min(32, bytes.Length);
        bytes[..known].CopyTo(padded);
        return Vector256.Create<byte>(padded);
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Portico.Formats;

/// The members of the last object read as an array item at one depth, in order: for each, the JSON bytes from the
/// end of the value before it (or the object's '{') to the start of its value, e.g. `,"name":`, and its element
/// name with the tags made of it; then the bytes that end the object (`}`). The items of a large array mostly
/// repeat them byte for byte, so a separator is compared as two words and a tag copied as one vector.
internal sealed class RowLayout : IDisposable
{
    // Room after the last byte in use: a separator or tag up to 16 bytes long is read as 16 bytes at once.
    const int Slack = 16;

    // Items in a row that differed from the one before (each part learned counts), to give up on arrays whose items
    // are not rows: learning a part costs more than the scanner reading it.
    const int MaxMisses = 4;

    byte[] _bytes = ArrayPool<byte>.Shared.Rent(256);
    Part[] _parts = ArrayPool<Part>.Shared.Rent(8);
    int _count;
    int _learned;
    int _learnedBefore;
    int _misses;

    /// Part k in <see cref="_bytes"/>: the separator, then `&lt;name&gt;`, then `&lt;/name&gt;` (none for the end);
    /// the separator's first 16 bytes as two words with masks for the bytes it has.
    readonly record struct Part(int Start, int SeparatorLength, int NameLength, ulong Low, ulong High, ulong LowMask, ulong HighMask)
    {
        public bool IsEnd => NameLength < 0;
        public int OpenStart => Start + SeparatorLength;
        public int CloseStart => OpenStart + NameLength + 2;
        public int End => IsEnd ? OpenStart : CloseStart + NameLength + 3;
    }

    /// Called as an item starts; false once the items before it differed too often for the layout to pay.
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
        _learnedBefore = _learned;
    }

    /// Whether part <paramref name="k"/> is known and <paramref name="data"/> starts with its separator.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(int k, ReadOnlySpan<byte> data, out int length)
    {
        if (k >= _count)
        {
            length = 0;
            return false;
        }
        ref readonly var part = ref _parts[k];
        length = part.SeparatorLength;
        if (length <= 16 && data.Length >= 16)
        {
            ref var at = ref MemoryMarshal.GetReference(data);
            return (((Unsafe.ReadUnaligned<ulong>(ref at) ^ part.Low) & part.LowMask) | ((Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, 8)) ^ part.High) & part.HighMask)) == 0;
        }
        return data.StartsWith(_bytes.AsSpan(part.Start, length));
    }

    public bool IsEnd(int k) => _parts[k].IsEnd;

    public ReadOnlySpan<byte> Name(int k)
    {
        ref readonly var part = ref _parts[k];
        return _bytes.AsSpan(part.OpenStart + 1, part.NameLength);
    }

    /// `&lt;name&gt;` of part <paramref name="k"/>: its length, and the bytes from its start to the end of the buffer
    /// (at least 16), for a copy that reads a whole vector.
    public ReadOnlySpan<byte> Open(int k, out int length)
    {
        ref readonly var part = ref _parts[k];
        length = part.NameLength + 2;
        return _bytes.AsSpan(part.OpenStart);
    }

    /// `&lt;/name&gt;` of part <paramref name="k"/>, as <see cref="Open"/>.
    public ReadOnlySpan<byte> Close(int k, out int length)
    {
        ref readonly var part = ref _parts[k];
        length = part.NameLength + 3;
        return _bytes.AsSpan(part.CloseStart);
    }

    /// Makes <paramref name="separator"/> part <paramref name="k"/> (the end when <paramref name="isEnd"/>); the
    /// parts after it are forgotten, since what follows a different separator is not known.
    public void Set(int k, ReadOnlySpan<byte> separator, ReadOnlySpan<byte> name, bool isEnd)
    {
        var start = k == 0 ? 0 : _parts[k - 1].End;
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
        Span<byte> words = stackalloc byte[16];
        words.Clear();
        separator[..Math.Min(16, separator.Length)].CopyTo(words);
        var low = Math.Min(8, separator.Length);
        var high = Math.Clamp(separator.Length - 8, 0, 8);
        _parts[k] = new Part(start, separator.Length, isEnd ? -1 : name.Length,
            MemoryMarshal.Read<ulong>(words), MemoryMarshal.Read<ulong>(words[8..]), Mask(low), Mask(high));
        _count = k + 1;
        _learned++;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_bytes);
        ArrayPool<Part>.Shared.Return(_parts);
        _bytes = [];
        _parts = [];
        _count = 0;
    }

    /// A word with its first <paramref name="bytes"/> bytes (in memory order) set.
    static ulong Mask(int bytes) => bytes == 8 ? ulong.MaxValue : BitConverter.IsLittleEndian ? (1UL << (8 * bytes)) - 1 : ~(ulong.MaxValue >> (8 * bytes));
}

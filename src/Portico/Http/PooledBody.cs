using System.Buffers;

namespace Portico.Http;

/// A whole body read from a stream into one buffer, for code that needs all of it at once (to parse or convert it).
/// The buffer starts at the declared length when there is one and doubles from there, so a small body takes a small
/// buffer; dispose it to give the buffer back. Buffers up to <see cref="PoolLimit"/> come from the shared array pool;
/// larger ones are plain arrays the GC reclaims, since the shared pool would keep them for the life of the process.
internal sealed class PooledBody : IDisposable
{
    const int FirstSize = 4096;

    /// The largest buffer taken from (and given back to) the shared pool.
    internal const int PoolLimit = 1024 * 1024;

    byte[] _buffer;
    int _length;

    PooledBody(byte[] buffer) => _buffer = buffer;

    /// The body went over the limit (or the shared byte budget of its caller) before its end; nothing of it is kept.
    public bool TooLarge { get; private set; }

    /// The process's <see cref="BufferedBodyBudget"/> had no room for the body; nothing of it is kept.
    public bool OverBudget { get; private set; }

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// A copy the caller owns, of exactly the body's length.
    public byte[] ToArray() => Span.ToArray();

    /// The body as a read-only stream over the pooled buffer: valid until this is disposed.
    public MemoryStream AsStream() => new(_buffer, 0, _length, writable: false);

    /// Reads <paramref name="stream"/> to its end. Stops as soon as more than <paramref name="limit"/> bytes came, a
    /// declared length is over it, or <paramref name="budget"/> (shared by several bodies) refuses a chunk; the result
    /// is then <see cref="TooLarge"/>. <paramref name="share"/> takes the bytes from the process's budget (a declared
    /// length before anything is read); when it has no room the result is <see cref="OverBudget"/>.
    public static async Task<PooledBody> ReadAsync(Stream stream, long? declaredLength, long limit, CancellationToken cancellationToken, ByteBudget? budget = null,
        BudgetShare? share = null)
    {
        limit = Math.Min(limit, Array.MaxLength - 1);
        if (declaredLength > limit) return new PooledBody([]) { TooLarge = true };
        long taken = 0;
        if (share is not null && declaredLength is > 0 and { } declaredSize)
        {
            if (!share.TryTake(declaredSize)) return new PooledBody([]) { OverBudget = true };
            taken = declaredSize;
        }
        // One byte over what is expected, so the end is seen without growing; never more than one over the limit.
        var first = (int)Math.Min(declaredLength is { } declared ? declared + 1 : FirstSize, limit + 1);
        var body = new PooledBody(Rent(Math.Max(first, 1)));
        try
        {
            while (true)
            {
                if (body._length == body._buffer.Length) body.Grow(limit);
                var read = await stream.ReadAsync(body._buffer.AsMemory(body._length), cancellationToken).ConfigureAwait(false);
                if (read == 0) return body;
                body._length += read;
                if (body._length > limit || (budget is not null && !budget.TryTake(read)))
                {
                    body.Dispose();
                    body.TooLarge = true;
                    return body;
                }
                if (share is not null && body._length > taken)
                {
                    if (!share.TryTake(body._length - taken))
                    {
                        body.Dispose();
                        body.OverBudget = true;
                        return body;
                    }
                    taken = body._length;
                }
            }
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    static byte[] Rent(int size) => size <= PoolLimit ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    static void Return(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= PoolLimit) ArrayPool<byte>.Shared.Return(buffer);
    }

    void Grow(long limit)
    {
        var bigger = Rent((int)Math.Min((long)_buffer.Length * 2, limit + 1));
        Span.CopyTo(bigger);
        Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        Return(_buffer);
        _buffer = [];
        _length = 0;
    }
}

/// Bytes that several bodies may still take between them (the parts of one aggregate, say); safe across threads.
internal sealed class ByteBudget(long limit)
{
    long _left = limit;

    public bool TryTake(int bytes) => Interlocked.Add(ref _left, -bytes) >= 0;
}

using CsCheck;
using Portico.Http;

namespace Portico.Tests.Hosting;

public sealed class PooledBodyTests
{
    [Fact]
    public void ReadAsync_AnyBodyChunkingDeclaredLengthAndLimit_KeepsTheBodyOrSaysTooLarge()
    {
        var declared = Gen.Int[0, 3];
        Gen.Select(Gen.Byte.Array[0, 20_000], Gen.Int[1, 9000], declared, Gen.Int[0, 25_000]).Sample((bytes, chunk, declaredKind, limit) =>
        {
            // The declared length may be right, missing, short or long: only what the stream holds counts.
            long? length = declaredKind switch { 0 => bytes.Length, 1 => null, 2 => bytes.Length / 2, _ => bytes.Length + 100 };
            using var stream = new ChunkedStream(bytes, chunk);
            using var body = PooledBody.ReadAsync(stream, length, limit, CancellationToken.None).GetAwaiter().GetResult();

            var over = bytes.Length > limit || length > limit;
            body.TooLarge.ShouldBe(over);
            if (over) body.Length.ShouldBe(0);
            else body.ToArray().ShouldBe(bytes);
        });
    }

    [Fact]
    public async Task ReadAsync_DeclaredLengthOverTheLimit_IsRefusedWithoutReading()
    {
        using var stream = new ChunkedStream(new byte[10], 4);

        using var body = await PooledBody.ReadAsync(stream, 10, 9, CancellationToken.None);

        body.TooLarge.ShouldBeTrue();
        stream.Reads.ShouldBe(0);
    }

    [Fact]
    public async Task ReadAsync_BodyOverTheLimit_StopsReadingOnceOver()
    {
        using var stream = new ChunkedStream(new byte[100_000], 1000);

        using var body = await PooledBody.ReadAsync(stream, null, 4500, CancellationToken.None);

        body.TooLarge.ShouldBeTrue();
        stream.Reads.ShouldBeLessThan(10); // stopped a few chunks past 4,500 bytes, not at the end of the 100 chunks
    }

    [Fact]
    public async Task ReadAsync_SharedBudget_TheBodyThatOverdrawsItIsTooLarge()
    {
        var budget = new ByteBudget(1500);

        using var firstStream = new ChunkedStream(new byte[1000], 300);
        using var secondStream = new ChunkedStream(new byte[1000], 300);

        using var first = await PooledBody.ReadAsync(firstStream, 1000, long.MaxValue, CancellationToken.None, budget);
        using var second = await PooledBody.ReadAsync(secondStream, 1000, long.MaxValue, CancellationToken.None, budget);

        first.TooLarge.ShouldBeFalse();
        first.Length.ShouldBe(1000);
        second.TooLarge.ShouldBeTrue();
    }

    [Fact]
    public async Task ReadAsync_DeclaredLengthOverTheProcessBudget_IsRefusedWithoutReading()
    {
        var budget = new BufferedBodyBudget(1000);
        var share = budget.NewShare();
        using var stream = new ChunkedStream(new byte[1001], 100);

        using var body = await PooledBody.ReadAsync(stream, 1001, long.MaxValue, CancellationToken.None, share: share);

        body.OverBudget.ShouldBeTrue();
        body.TooLarge.ShouldBeFalse();
        stream.Reads.ShouldBe(0);
        budget.InUse.ShouldBe(0);
    }

    [Fact]
    public async Task ReadAsync_ChunkedBodyOverTheProcessBudget_StopsOnceOver_AndTheShareGivesItBack()
    {
        var budget = new BufferedBodyBudget(4500);
        var share = budget.NewShare();
        using var stream = new ChunkedStream(new byte[100_000], 1000);

        using var body = await PooledBody.ReadAsync(stream, null, long.MaxValue, CancellationToken.None, share: share);

        body.OverBudget.ShouldBeTrue();
        body.Length.ShouldBe(0);
        stream.Reads.ShouldBeLessThan(10); // stopped at the chunk that did not fit, not at the end of the 100 chunks
        budget.InUse.ShouldBeInRange(4000, 4500);
        share.Release();
        budget.InUse.ShouldBe(0);
    }

    [Fact]
    public async Task ReadAsync_BodyShorterThanDeclared_KeepsTheDeclaredShareUntilTheRequestEnds()
    {
        var budget = new BufferedBodyBudget(10_000);
        var share = budget.NewShare();
        using var stream = new ChunkedStream(new byte[500], 100);

        using var body = await PooledBody.ReadAsync(stream, 2000, long.MaxValue, CancellationToken.None, share: share);

        body.Length.ShouldBe(500);
        budget.InUse.ShouldBe(2000);
        share.Release();
        budget.InUse.ShouldBe(0);
    }

    [Fact]
    public async Task ReadAsync_BodyLongerThanDeclared_TakesTheRestChunkByChunk()
    {
        var budget = new BufferedBodyBudget(10_000);
        var share = budget.NewShare();
        using var stream = new ChunkedStream(new byte[3000], 700);

        using var body = await PooledBody.ReadAsync(stream, 1000, long.MaxValue, CancellationToken.None, share: share);

        body.Length.ShouldBe(3000);
        budget.InUse.ShouldBe(3000);
    }

    [Fact]
    public async Task ReadAsync_StreamFailsMidway_TheShareGivesEverythingBackWhenTheRequestEnds()
    {
        var budget = new BufferedBodyBudget(100_000);
        var share = budget.NewShare();
        using var stream = new ChunkedStream(new byte[5000], 1000) { FailAfter = 3 };

        await Should.ThrowAsync<IOException>(() => PooledBody.ReadAsync(stream, null, long.MaxValue, CancellationToken.None, share: share));

        budget.InUse.ShouldBe(3000);
        share.Release();
        budget.InUse.ShouldBe(0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadAsync_BodyLargerThanThePoolLimit_KeepsEveryByte(bool declared)
    {
        var bytes = new byte[3 * PooledBody.PoolLimit + 17];
        new Random(7).NextBytes(bytes);
        using var stream = new ChunkedStream(bytes, 64 * 1024);

        using var body = await PooledBody.ReadAsync(stream, declared ? bytes.Length : null, long.MaxValue, CancellationToken.None);

        body.ToArray().ShouldBe(bytes);
    }

    [Fact]
    public async Task AsStream_ReadsTheBodyAndCannotWrite()
    {
        var bytes = "<a>1</a>"u8.ToArray();
        using var source = new ChunkedStream(bytes, 3);
        using var body = await PooledBody.ReadAsync(source, null, 100, CancellationToken.None);

        using var stream = body.AsStream();
        using var reader = new StreamReader(stream);

        stream.CanWrite.ShouldBeFalse();
        reader.ReadToEnd().ShouldBe("<a>1</a>");
    }

    [Fact]
    public async Task ReadAsync_StreamFails_TheErrorComesThrough()
    {
        using var stream = new ChunkedStream(new byte[5000], 1000) { FailAfter = 2 };

        await Should.ThrowAsync<IOException>(() => PooledBody.ReadAsync(stream, null, long.MaxValue, CancellationToken.None));
    }

    /// Gives its bytes at most <c>chunk</c> at a time, as a network stream does.
    sealed class ChunkedStream(byte[] bytes, int chunk) : Stream
    {
        int _position;

        public int Reads { get; private set; }
        public int FailAfter { get; init; } = int.MaxValue;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (Reads++ == FailAfter) throw new IOException("connection reset");
            var n = Math.Min(Math.Min(chunk, buffer.Length), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

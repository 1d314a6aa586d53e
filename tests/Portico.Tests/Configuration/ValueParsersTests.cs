using Portico.Configuration;

namespace Portico.Tests.Configuration;

public sealed class ValueParsersTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData(" 10s ", 10_000)]
    public void TryParseDuration_ValidText_ReturnsMilliseconds(string text, long expectedMs)
    {
        var ok = ValueParsers.TryParseDuration(text, out var value);

        ok.ShouldBeTrue();
        value.ShouldBe(TimeSpan.FromMilliseconds(expectedMs));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("-1s")]
    [InlineData("5x")]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5 s")]
    [InlineData("1.2.3s")]
    [InlineData("5S")]
    [InlineData("99999999999999d")]
    public void TryParseDuration_InvalidText_ReturnsFalse(string text)
    {
        ValueParsers.TryParseDuration(text, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("512", 512)]
    [InlineData("512B", 512)]
    [InlineData("64KiB", 64 * 1024)]
    [InlineData("64KB", 64_000)]
    [InlineData("10MB", 10_000_000)]
    [InlineData("10MiB", 10 * 1024 * 1024)]
    [InlineData("1GB", 1_000_000_000)]
    [InlineData("1GiB", 1024L * 1024 * 1024)]
    public void TryParseSize_ValidText_ReturnsBytes(string text, long expected)
    {
        var ok = ValueParsers.TryParseSize(text, out var bytes);

        ok.ShouldBeTrue();
        bytes.ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MB")]
    [InlineData("-1")]
    [InlineData("10mb")]
    [InlineData("1.5MB")]
    [InlineData("10TB")]
    [InlineData("99999999999999GiB")]
    public void TryParseSize_InvalidText_ReturnsFalse(string text)
    {
        ValueParsers.TryParseSize(text, out _).ShouldBeFalse();
    }
}

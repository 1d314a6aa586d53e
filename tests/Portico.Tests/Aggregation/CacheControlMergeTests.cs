using Portico.Aggregation;

namespace Portico.Tests.Aggregation;

public sealed class CacheControlMergeTests
{
    [Theory]
    [InlineData("public, max-age=60|public, max-age=30", "public, max-age=30")]
    [InlineData("public, max-age=60|private, max-age=120", "private, max-age=60")]
    [InlineData("max-age=60|no-store", "no-store")]
    [InlineData("max-age=60|no-cache", "no-cache")]
    [InlineData("max-age=60|", "no-store")]
    [InlineData("|", null)]
    public void Combine_Parts_TheMostRestrictiveWins(string parts, string? expected)
    {
        var list = parts.Split('|').Select(p => p.Length == 0 ? null : p).ToList();

        CacheControlMerge.Combine(list, partial: false).ShouldBe(expected);
    }

    [Fact]
    public void Combine_PartialAnswer_IsNeverStored() =>
        CacheControlMerge.Combine(["public, max-age=60"], partial: true).ShouldBe("no-store");
}

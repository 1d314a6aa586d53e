using Portico.Configuration;

namespace Portico.Tests.Routing;

public sealed class PathTemplateTests
{
    [Fact]
    public void TryParse_MoreSegmentsThanRoutingAllows_ReturnsFalseWithError()
    {
        // Found by the path fuzz harness: ASP.NET routing threw InvalidOperationException past 28 segments.
        var text = string.Concat(Enumerable.Repeat("/a", 29));

        var parsed = PathTemplate.TryParse(text, out var template, out var error);

        parsed.ShouldBeFalse();
        template.ShouldBeNull();
        error.ShouldNotBeNull();
        error.ShouldContain("28");
    }

    [Fact]
    public void TryParse_TwentyEightSegments_Parses()
    {
        var parsed = PathTemplate.TryParse(string.Concat(Enumerable.Repeat("/a", 28)), out var template, out var error);

        parsed.ShouldBeTrue();
        error.ShouldBeNull();
        template!.Shape.ShouldStartWith("/a/a");
    }
}

using Portico.Configuration;
using Portico.Telemetry;

namespace Portico.Tests.Telemetry;

public sealed class AccessLogFilterTests
{
    static StatusRange Range(string text)
    {
        StatusRange.TryParse(text, out var range).ShouldBeTrue(text);
        return range;
    }

    [Theory]
    [InlineData("404", 404, 404)]
    [InlineData("5xx", 500, 599)]
    [InlineData("4XX", 400, 499)]
    [InlineData("500-504", 500, 504)]
    [InlineData(" 201 ", 201, 201)]
    public void StatusRangeTryParse_Forms_Bounds(string text, int from, int to) => Range(text).ShouldBe(new StatusRange(from, to));

    [Theory]
    [InlineData("")]
    [InlineData("6xx")]
    [InlineData("0xx")]
    [InlineData("99")]
    [InlineData("600")]
    [InlineData("504-500")]
    [InlineData("-1")]
    [InlineData("5x")]
    [InlineData("abc")]
    [InlineData("+200")]
    [InlineData("500-")]
    public void StatusRangeTryParse_Malformed_False(string text) => StatusRange.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void StatusRangeContains_Bounds_Inclusive()
    {
        var range = Range("500-504");

        range.Contains(499).ShouldBeFalse();
        range.Contains(500).ShouldBeTrue();
        range.Contains(504).ShouldBeTrue();
        range.Contains(505).ShouldBeFalse();
        range.ToString().ShouldBe("500-504");
        Range("5xx").ToString().ShouldBe("5xx");
    }

    [Fact]
    public void For_NoSectionOrGatewayOff_Null()
    {
        var section = new AccessLogDefinition("stdout", [], 1);

        AccessLogFilter.For(null, GatewayTelemetry.Default).ShouldBeNull();
        AccessLogFilter.For(section, GatewayTelemetry.Default with { AccessLog = false }).ShouldBeNull();
        AccessLogFilter.For(section, GatewayTelemetry.Default).ShouldNotBeNull();
        AccessLogFilter.For(section, null).ShouldNotBeNull();
    }

    [Fact]
    public void For_GatewayOverrides_WinOverTheSection()
    {
        var section = new AccessLogDefinition("stdout", [Range("5xx")], 0.5);

        var inherited = AccessLogFilter.For(section, GatewayTelemetry.Default)!.Value;
        var overridden = AccessLogFilter.For(section, GatewayTelemetry.Default with { Statuses = [Range("404")], Sample = 1 })!.Value;

        inherited.Admits(502).ShouldBeTrue();
        inherited.Admits(404).ShouldBeFalse();
        inherited.Sample.ShouldBe(0.5);
        overridden.Admits(404).ShouldBeTrue();
        overridden.Admits(502).ShouldBeFalse();
        overridden.Sample.ShouldBe(1);
    }

    [Fact]
    public void Admits_EmptyList_EveryStatus()
    {
        var all = new AccessLogFilter([], 1);

        new[] { 100, 200, 404, 499, 502, 599 }.ShouldAllBe(s => all.Admits(s));
    }

    [Fact]
    public void Admits_SeveralRanges_AnyOfThem()
    {
        var filter = new AccessLogFilter([Range("404"), Range("5xx")], 1);

        filter.Admits(404).ShouldBeTrue();
        filter.Admits(503).ShouldBeTrue();
        filter.Admits(200).ShouldBeFalse();
        filter.Admits(401).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0.0, 0.0, false)]
    [InlineData(0.0, 0.999, false)]
    [InlineData(1.0, 0.0, true)]
    [InlineData(1.0, 0.999999, true)]
    [InlineData(0.25, 0.2499, true)]
    [InlineData(0.25, 0.25, false)]
    public void Sampled_Draw_BelowTheShareOnly(double sample, double draw, bool logged) =>
        new AccessLogFilter([], sample).Sampled(draw).ShouldBe(logged);
}

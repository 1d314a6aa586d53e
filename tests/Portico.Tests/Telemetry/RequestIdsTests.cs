using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Telemetry;

namespace Portico.Tests.Telemetry;

public sealed class RequestIdsTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("abc-123")]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e4736")]
    [InlineData("A.b_c:d+e/f=g@h-i")]
    [InlineData("dGhpcyBpcyBiYXNlNjQ=")]
    public void IsValid_PlainValuesUpTo128_True(string id) => RequestIds.IsValid(id).ShouldBeTrue();

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("cr\rlf\n")]
    [InlineData("nul\0")]
    [InlineData("esc\u001b[31m")]
    [InlineData("\"quoted\"")]
    [InlineData("single'quote")]
    [InlineData("a,b")]
    [InlineData("semi;colon")]
    [InlineData("caf\u00e9")]
    [InlineData("line\u2028sep")]
    [InlineData("<script>")]
    [InlineData("back\\slash")]
    [InlineData("{json}")]
    public void IsValid_AnythingElse_False(string id) => RequestIds.IsValid(id).ShouldBeFalse();

    [Fact]
    public void IsValid_Length_128KeptAnd129Refused()
    {
        RequestIds.IsValid(new string('a', 128)).ShouldBeTrue();
        RequestIds.IsValid(new string('a', 129)).ShouldBeFalse();
        RequestIds.IsValid((string?)null).ShouldBeFalse();
    }

    [Fact]
    public void IsValid_SeveralValues_False()
    {
        RequestIds.IsValid(new StringValues(["one", "two"])).ShouldBeFalse();
        RequestIds.IsValid(StringValues.Empty).ShouldBeFalse();
        RequestIds.IsValid(new StringValues("one")).ShouldBeTrue();
    }

    [Fact]
    public void New_Called1000Times_UniqueLowercaseHexOf32()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => RequestIds.New()).ToList();

        ids.Distinct().Count().ShouldBe(1000);
        ids.ShouldAllBe(id => id.Length == 32 && id.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)));
        ids.ShouldAllBe(id => RequestIds.IsValid(id));
    }

    [Fact]
    public void Apply_ValidClientId_KeptOnRequestAndTelemetry()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Request-Id"] = "client-1";
        var telemetry = new RequestTelemetry();

        RequestIds.Apply(context, telemetry, "X-Request-Id");

        telemetry.RequestId.ShouldBe("client-1");
        telemetry.RequestIdHeader.ShouldBe("X-Request-Id");
        context.Request.Headers["X-Request-Id"].ToString().ShouldBe("client-1");
    }

    [Fact]
    public void Apply_TwoClientValues_ReplacedByOneNewId()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Request-Id"] = new StringValues(["a", "b"]);
        var telemetry = new RequestTelemetry();

        RequestIds.Apply(context, telemetry, "X-Request-Id");

        context.Request.Headers["X-Request-Id"].Count.ShouldBe(1);
        context.Request.Headers["X-Request-Id"].ToString().ShouldBe(telemetry.RequestId);
        telemetry.RequestId!.Length.ShouldBe(32);
    }
}

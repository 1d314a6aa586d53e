using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Portico.Telemetry;

namespace Portico.Tests.Telemetry;

public sealed class TraceContextTests
{
    const string Trace = "0af7651916cd43dd8448eb211c80319c";
    const string Parent = "b7ad6b7169203331";

    static HeaderDictionary Headers(params (string Name, string[] Values)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, values) in headers) dictionary[name] = values;
        return dictionary;
    }

    [Fact]
    public void TryExtract_WellFormed_ContinuesTraceWithItsState()
    {
        var found = TraceContext.TryExtract(Headers(("traceparent", [$"00-{Trace}-{Parent}-01"]), ("tracestate", ["a=1,b=2"])), out var context);

        found.ShouldBeTrue();
        context.TraceId.ToHexString().ShouldBe(Trace);
        context.SpanId.ToHexString().ShouldBe(Parent);
        context.TraceFlags.ShouldBe(ActivityTraceFlags.Recorded);
        context.TraceState.ShouldBe("a=1,b=2");
        context.IsRemote.ShouldBeTrue();
    }

    [Theory]
    [InlineData($"ff-{Trace}-{Parent}-01")]
    [InlineData($"00-{Trace}-{Parent}")]
    [InlineData($"00-{Trace}-{Parent}-01-extra")]
    [InlineData($"00-00000000000000000000000000000000-{Parent}-01")]
    [InlineData($"00-{Trace}-0000000000000000-01")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")]
    [InlineData($"00-{Trace}\r\n-{Parent}-01")]
    [InlineData("")]
    [InlineData("garbage")]
    public void TryExtract_Malformed_NoContext(string traceparent)
    {
        TraceContext.TryExtract(Headers(("traceparent", [traceparent])), out var context).ShouldBeFalse();
        context.ShouldBe(default);
    }

    [Fact]
    public void TryExtract_TwoTraceparents_NoContext()
    {
        TraceContext.TryExtract(Headers(("traceparent", [$"00-{Trace}-{Parent}-01", $"00-{Trace}-{Parent}-00"])), out _).ShouldBeFalse();
    }

    [Fact]
    public void TryExtract_None_NoContext()
    {
        TraceContext.TryExtract(Headers(), out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("a=1\u0001")]
    [InlineData("a=\u00e9")]
    public void TryExtract_UnprintableTracestate_ContinuesWithoutIt(string tracestate)
    {
        TraceContext.TryExtract(Headers(("traceparent", [$"00-{Trace}-{Parent}-01"]), ("tracestate", [tracestate])), out var context).ShouldBeTrue();

        context.TraceState.ShouldBeNull();
    }

    [Fact]
    public void TryExtract_TracestateOverTheLimit_ContinuesWithoutIt()
    {
        var state = "v=" + new string('x', TraceContext.MaxTraceStateLength);

        TraceContext.TryExtract(Headers(("traceparent", [$"00-{Trace}-{Parent}-01"]), ("tracestate", [state])), out var context).ShouldBeTrue();

        context.TraceState.ShouldBeNull();
    }

    [Fact]
    public void Inject_Span_ReplacesTheRequestsTraceHeadersWithOneOfItsOwn()
    {
        using var span = new Activity("call");
        span.SetParentId(ActivityTraceId.CreateFromString(Trace), ActivitySpanId.CreateFromString(Parent), ActivityTraceFlags.Recorded);
        span.TraceStateString = "a=1";
        span.Start();
        using var message = new HttpRequestMessage(HttpMethod.Get, "http://upstream/");
        message.Headers.TryAddWithoutValidation("traceparent", $"00-{new string('1', 32)}-{Parent}-01");
        message.Headers.TryAddWithoutValidation("traceparent", "second");
        message.Headers.TryAddWithoutValidation("tracestate", "client=x");

        TraceContext.Inject(span, message);

        message.Headers.GetValues("traceparent").ShouldHaveSingleItem().ShouldBe($"00-{Trace}-{span.SpanId.ToHexString()}-01");
        message.Headers.GetValues("tracestate").ShouldHaveSingleItem().ShouldBe("a=1");
    }

    [Fact]
    public void Inject_NoSpan_LeavesTheRequestAsItIs()
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, "http://upstream/");
        message.Headers.TryAddWithoutValidation("traceparent", $"00-{Trace}-{Parent}-01");

        TraceContext.Inject(null, message);

        message.Headers.GetValues("traceparent").ShouldHaveSingleItem().ShouldBe($"00-{Trace}-{Parent}-01");
    }

    [Fact]
    public void Inject_Map_WritesTraceparentOnly()
    {
        using var span = new Activity("publish");
        span.Start();
        var headers = new Dictionary<string, string>();

        TraceContext.Inject(span, headers, static (h, name, value) => h[name] = value);

        headers.Keys.ShouldBe(["traceparent"]);
        headers["traceparent"].ShouldBe(span.Id);
    }
}

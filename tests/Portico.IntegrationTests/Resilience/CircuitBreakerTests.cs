using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Resilience;

public sealed class CircuitBreakerTests
{
    readonly FakeTimeProvider _time = new();
    volatile bool _healthy;

    Task<TestBackend> BillingAsync() => TestBackend.StartAsync("billing", app => app.MapGet("/invoices", () =>
        _healthy ? Results.Text("paid") : Results.StatusCode(StatusCodes.Status500InternalServerError)));

    Task<GatewayUnderTest> GatewayAsync(TestBackend backend) => GatewayUnderTest.StartAsync($$"""
        services:
          billing:
            urls: ["{{backend.Url}}"]
            circuitBreaker: { failureRatio: 0.5, minimumThroughput: 2, samplingDuration: 30s, breakFor: 10s }
        routes:
          - name: invoices
            match: { path: "/invoices" }
            service: billing
        """, time: _time);

    [Fact]
    public async Task Get_AfterEnoughFailures_Answers503CircuitOpenWithoutCallingTheUpstream()
    {
        await using var backend = await BillingAsync();
        await using var gateway = await GatewayAsync(backend);
        using var client = gateway.CreateClient();
        (await client.GetAsync("/invoices", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await client.GetAsync("/invoices", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.InternalServerError);

        var response = await client.GetAsync("/invoices", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        problem.ContentType.ShouldBe("application/problem+json");
        problem.Type.ShouldBe("urn:portico:problem:circuit-open");
        problem.Service.ShouldBe("billing");
        response.Headers.RetryAfter.ShouldNotBeNull();
        response.Headers.RetryAfter.Delta.ShouldBe(TimeSpan.FromSeconds(10));
        backend.CallsTo("/invoices").ShouldBe(2);
    }

    [Fact]
    public async Task Get_AfterBreakForWithRecoveredUpstream_TrialGoesThroughAndClosesTheCircuit()
    {
        await using var backend = await BillingAsync();
        await using var gateway = await GatewayAsync(backend);
        using var client = gateway.CreateClient();
        for (var i = 0; i < 2; i++) await client.GetAsync("/invoices", TestContext.Current.CancellationToken);
        (await client.GetAsync("/invoices", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        _healthy = true;

        _time.Advance(TimeSpan.FromSeconds(10));
        var trial = await client.GetAsync("/invoices", TestContext.Current.CancellationToken);
        var afterTrial = await client.GetAsync("/invoices", TestContext.Current.CancellationToken);

        trial.StatusCode.ShouldBe(HttpStatusCode.OK);
        afterTrial.StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.CallsTo("/invoices").ShouldBe(4);
    }

    [Fact]
    public async Task Get_BeforeBreakForElapses_StaysOpen()
    {
        await using var backend = await BillingAsync();
        await using var gateway = await GatewayAsync(backend);
        using var client = gateway.CreateClient();
        for (var i = 0; i < 2; i++) await client.GetAsync("/invoices", TestContext.Current.CancellationToken);
        _healthy = true;

        _time.Advance(TimeSpan.FromSeconds(9));
        var response = await client.GetAsync("/invoices", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
        backend.CallsTo("/invoices").ShouldBe(2);
    }

    [Fact]
    public async Task Get_TrialFails_ReopensTheCircuit()
    {
        await using var backend = await BillingAsync();
        await using var gateway = await GatewayAsync(backend);
        using var client = gateway.CreateClient();
        for (var i = 0; i < 2; i++) await client.GetAsync("/invoices", TestContext.Current.CancellationToken);

        _time.Advance(TimeSpan.FromSeconds(10));
        var trial = await client.GetAsync("/invoices", TestContext.Current.CancellationToken);
        var next = await client.GetAsync("/invoices", TestContext.Current.CancellationToken);

        trial.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        next.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ProblemResponse.ReadAsync(next, TestContext.Current.CancellationToken)).Type.ShouldBe("urn:portico:problem:circuit-open");
        backend.CallsTo("/invoices").ShouldBe(3);
    }
}

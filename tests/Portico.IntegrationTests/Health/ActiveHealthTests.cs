using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Health;

public sealed class ActiveHealthTests
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    readonly FakeTimeProvider _time = new();
    volatile bool _healthy = true;

    Task<TestBackend> InventoryAsync() => TestBackend.StartAsync("inventory", app => app.MapGet("/healthz", () =>
        _healthy ? Results.Text("ok") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable)));

    Task<GatewayUnderTest> GatewayAsync(TestBackend backend, string extra = "") => GatewayUnderTest.StartAsync($$"""
        services:
          inventory:
            urls: ["{{backend.Url}}"]
            health: { path: /healthz, interval: 5s, timeout: 2s, healthyThreshold: 1, unhealthyThreshold: 1 }
            {{extra}}
        routes:
          - name: stock
            match: { path: "/stock" }
            service: inventory
        """, time: _time);

    /// Flips the backend's health, then runs exactly one more probe round on the fake clock.
    async Task ProbeRoundAsync(GatewayUnderTest gateway, int round, bool healthy)
    {
        var prober = gateway.Service("inventory").Prober!;
        await prober.WhenRoundsCompleted(round - 1).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        _healthy = healthy;
        _time.Advance(Interval);
        await prober.WhenRoundsCompleted(round).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    static async Task<(HttpStatusCode Status, string[] Unavailable)> ReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var unavailable = json.RootElement.GetProperty("unavailableServices").EnumerateArray().Select(e => e.GetString()!).ToArray();
        return (response.StatusCode, unavailable);
    }

    [Fact]
    public async Task Get_AllDestinationsUnhealthy_Answers503NoHealthyDestinationWithoutCallingThem()
    {
        await using var backend = await InventoryAsync();
        await using var gateway = await GatewayAsync(backend);
        using var client = gateway.CreateClient();
        await ProbeRoundAsync(gateway, round: 2, healthy: false);

        var response = await client.GetAsync("/stock", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        problem.ContentType.ShouldBe("application/problem+json");
        problem.Type.ShouldBe("urn:portico:problem:no-healthy-destination");
        problem.Service.ShouldBe("inventory");
        problem.Route.ShouldBe("stock");
        backend.CallsTo("/stock").ShouldBe(0);
    }

    [Fact]
    public async Task Readiness_DestinationsUnhealthyThenRecovered_FollowsHealthWhileLivenessStaysUp()
    {
        await using var backend = await InventoryAsync();
        await using var gateway = await GatewayAsync(backend);
        using var client = gateway.CreateClient();
        await gateway.Service("inventory").Prober!.WhenRoundsCompleted(1).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        (await ReadyAsync(client)).Status.ShouldBe(HttpStatusCode.OK);

        await ProbeRoundAsync(gateway, round: 2, healthy: false);
        var whileDown = await ReadyAsync(client);
        var liveWhileDown = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);
        await ProbeRoundAsync(gateway, round: 3, healthy: true);
        var recovered = await ReadyAsync(client);
        var stock = await client.GetAsync("/stock", TestContext.Current.CancellationToken);

        whileDown.Status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        whileDown.Unavailable.ShouldBe(["inventory"]);
        liveWhileDown.StatusCode.ShouldBe(HttpStatusCode.OK);
        recovered.Status.ShouldBe(HttpStatusCode.OK);
        recovered.Unavailable.ShouldBeEmpty();
        stock.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Get_NoHealthyDestinationWithCircuitBreaker_DoesNotOpenTheCircuit()
    {
        await using var backend = await InventoryAsync();
        await using var gateway = await GatewayAsync(backend, "circuitBreaker: { failureRatio: 0.5, minimumThroughput: 2, breakFor: 30s }");
        using var client = gateway.CreateClient();
        await ProbeRoundAsync(gateway, round: 2, healthy: false);

        var types = new List<string?>();
        for (var i = 0; i < 4; i++)
            types.Add((await ProblemResponse.ReadAsync(await client.GetAsync("/stock", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken)).Type);

        // Not reaching the upstream says nothing about it: the breaker must not count these.
        types.ShouldAllBe(t => t == "urn:portico:problem:no-healthy-destination");
    }
}

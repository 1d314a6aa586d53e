using System.Net;
using Microsoft.Extensions.Time.Testing;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Resilience;

public sealed class PassiveHealthTests
{
    readonly FakeTimeProvider _time = new();

    static string Yaml(string urls) => $$"""
        services:
          catalog:
            urls: [{{urls}}]
            passiveHealth: { consecutiveFailures: 2, ejectFor: 30s }
        routes:
          - name: products
            match: { path: "/products" }
            service: catalog
        """;

    [Fact]
    public async Task Get_DestinationRefusesRepeatedly_IsEjectedUntilEjectForPasses()
    {
        await using var healthy = await TestBackend.StartAsync("catalog");
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{ClosedPort.Url()}\", \"{healthy.Url}\""), time: _time);
        using var client = gateway.CreateClient();
        // Round-robin alternates: refused, served, refused (second failure in a row: ejected).
        var warmUp = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) warmUp.Add((await client.GetAsync("/products", TestContext.Current.CancellationToken)).StatusCode);
        warmUp.ShouldBe([HttpStatusCode.BadGateway, HttpStatusCode.OK, HttpStatusCode.BadGateway]);

        var whileEjected = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) whileEjected.Add((await client.GetAsync("/products", TestContext.Current.CancellationToken)).StatusCode);
        var servedWhileEjected = healthy.CallsTo("/products");
        _time.Advance(TimeSpan.FromSeconds(30));
        var afterReturn = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++) afterReturn.Add((await client.GetAsync("/products", TestContext.Current.CancellationToken)).StatusCode);

        whileEjected.ShouldAllBe(s => s == HttpStatusCode.OK);
        servedWhileEjected.ShouldBe(1 + 6);
        afterReturn.Count(s => s == HttpStatusCode.BadGateway).ShouldBe(1);
        afterReturn.Count(s => s == HttpStatusCode.OK).ShouldBe(1);
    }

    [Fact]
    public async Task Get_OnlyDestinationRefuses_IsNeverEjected()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{ClosedPort.Url()}\""), time: _time);
        using var client = gateway.CreateClient();

        var types = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            var response = await client.GetAsync("/products", TestContext.Current.CancellationToken);
            types.Add((await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken)).Type);
        }

        // Still tried every time (unreachable), never reported as having no destination.
        types.ShouldAllBe(t => t == "urn:portico:problem:upstream-unreachable");
    }

    [Fact]
    public async Task Get_BothDestinationsRefuse_TheLastOneStaysInRotation()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{ClosedPort.Url()}\", \"{ClosedPort.Url()}\""), time: _time);
        using var client = gateway.CreateClient();

        var types = new List<string?>();
        for (var i = 0; i < 8; i++)
        {
            var response = await client.GetAsync("/products", TestContext.Current.CancellationToken);
            types.Add((await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken)).Type);
        }

        types.ShouldAllBe(t => t == "urn:portico:problem:upstream-unreachable");
        gateway.Service("catalog").Destinations.Available.Length.ShouldBe(1);
    }
}

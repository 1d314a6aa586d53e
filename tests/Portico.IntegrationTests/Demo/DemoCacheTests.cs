using Portico.Demo;

namespace Portico.IntegrationTests.Demo;

[Collection(DemoCollection.Name)]
public sealed class DemoCacheTests
{
    [Fact]
    public async Task CachedDemoRoute_SecondCall_ServedFromTheCache()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(demo.GatewayUrl) };

        using var first = await client.GetAsync("/api/credits/ACC-1003", ct);
        using var second = await client.GetAsync("/api/credits/ACC-1003", ct);

        first.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; fwd=uri-miss; stored");
        second.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit");
        second.Headers.Age.ShouldNotBeNull();
        (await second.Content.ReadAsStringAsync(ct)).ShouldBe(await first.Content.ReadAsStringAsync(ct));
    }
}

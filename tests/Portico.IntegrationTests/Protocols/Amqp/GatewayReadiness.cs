using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Protocols.Amqp;

internal static class GatewayReadiness
{
    /// A client once /readyz says the broker connection is up (it is made in the background after start).
    public static async Task<HttpClient> ReadyClientAsync(this GatewayUnderTest gateway, TimeSpan? timeout = null)
    {
        var client = gateway.CreateClient();
        using var ready = await Poll.UntilAsync(() => client.GetAsync("/readyz"), r => r.IsSuccessStatusCode, timeout ?? TimeSpan.FromSeconds(10));
        ready.IsSuccessStatusCode.ShouldBeTrue("the gateway did not connect to the broker in time");
        return client;
    }
}

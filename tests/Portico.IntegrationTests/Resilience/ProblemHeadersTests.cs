using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Resilience;

/// A problem response replaces the body, not what the gateway already decided about the client.
public sealed class ProblemHeadersTests
{
    [Fact]
    public async Task UpstreamDown_OnStickySplit_ProblemStillSetsTheStickyCookie()
    {
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              a: { urls: ["{{ClosedPort.Url()}}"], passiveHealth: off }
              b: { urls: ["{{ClosedPort.Url()}}"], passiveHealth: off }
            routes:
              - name: canary
                match: { path: "/checkout" }
                split: { a: 50, b: 50 }
                sticky: { cookie: canary }
            """);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/checkout", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        response.Headers.TryGetValues("Set-Cookie", out var cookies).ShouldBeTrue();
        cookies!.ShouldContain(c => c.StartsWith("canary=", StringComparison.Ordinal));
    }
}

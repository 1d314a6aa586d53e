using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Resilience;

public sealed class LoadBalancingTests
{
    [Fact]
    public async Task Get_RoundRobinOverThreeBackends_SplitsThreeHundredRequestsEvenly()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              pool: { urls: ["{{a.Url}}", "{{b.Url}}", "{{c.Url}}"], loadBalancing: round-robin }
            routes:
              - name: pool
                match: { path: "/work" }
                service: pool
            """);
        using var client = gateway.CreateClient();

        for (var i = 0; i < 300; i++)
            (await client.GetAsync("/work", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);

        a.CallsTo("/work").ShouldBe(100);
        b.CallsTo("/work").ShouldBe(100);
        c.CallsTo("/work").ShouldBe(100);
    }
}

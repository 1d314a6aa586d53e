using System.Net;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.RateLimiting;

/// Edge auth runs before rate limiting, so a `consumer` key counts per authenticated consumer, not per client IP
/// (both consumers here share one IP).
public sealed class ConsumerRateLimitTests
{
    [Fact]
    public async Task ConsumerKey_TwoConsumersFromOneAddress_EachGetTheirOwnLimit()
    {
        var alphaKey = ApiKeys.Generate();
        var betaKey = ApiKeys.Generate();
        await using var backend = await TestBackend.StartAsync("users");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{backend.Url}}"] }
            auth:
              apikey: { header: X-Api-Key }
              consumers:
                alpha: { keys: ["{{ApiKeys.Hash(alphaKey)}}"] }
                beta: { keys: ["{{ApiKeys.Hash(betaKey)}}"] }
            rateLimits:
              per-consumer: { algorithm: fixed-window, limit: 3, window: 1h, key: consumer }
            routes:
              - name: users
                match: { path: "/users/{id}" }
                service: users
                auth: [apikey]
                rateLimit: per-consumer
            """);
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        async Task<HttpStatusCode> Call(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
            request.Headers.Add("X-Api-Key", key);
            using var response = await client.SendAsync(request, ct);
            return response.StatusCode;
        }

        var alpha = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) alpha.Add(await Call(alphaKey));
        var beta = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) beta.Add(await Call(betaKey));

        alpha.ShouldBe([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests]);
        beta.ShouldBe([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests]);
        backend.Received.Count.ShouldBe(6);
    }
}

using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.RateLimiting;

/// Quotas far above a million per window (10,000,000 a day) through real HTTP on the memory store: the config is
/// accepted, the headers carry the full quota and each request takes one from it, for every counting algorithm.
public sealed class LargeQuotaTests
{
    static string Config(TestBackend backend) => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        rateLimits:
          fixed: { algorithm: fixed-window, limit: 10000000, window: 1d, key: ip }
          sliding: { algorithm: sliding-window, limit: 10000000, window: 1d, key: ip }
          bucket: { algorithm: token-bucket, limit: 10000000, window: 1d, key: ip }
          most: { algorithm: fixed-window, limit: 1000000000, window: 1s, key: ip }
        routes:
          - { name: fixed, match: { path: /fixed }, service: api, rateLimit: fixed }
          - { name: sliding, match: { path: /sliding }, service: api, rateLimit: sliding }
          - { name: bucket, match: { path: /bucket }, service: api, rateLimit: bucket }
          - { name: most, match: { path: /most }, service: api, rateLimit: most }
        """;

    static long Remaining(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("RateLimit").Single().Split(';').Single(p => p.StartsWith("r=", StringComparison.Ordinal))[2..], System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("fixed")]
    [InlineData("sliding")]
    [InlineData("bucket")]
    public async Task Get_TenMillionADay_HeadersShowTheQuota_EachRequestTakesOne(string name)
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync("/" + name, TestContext.Current.CancellationToken);
        using var second = await client.GetAsync("/" + name, TestContext.Current.CancellationToken);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.GetValues("RateLimit-Policy").Single().ShouldBe($"\"{name}\";q=10000000;w=86400");
        Remaining(first).ShouldBe(9_999_999);
        // A token bucket refills continuously (115 a second here), so the second may already have its token back.
        Remaining(second).ShouldBeInRange(9_999_998, name == "bucket" ? 9_999_999 : 9_999_998);
        backend.CallsTo("/" + name).ShouldBe(2);
    }

    [Fact]
    public async Task Get_TheLargestQuota_HeadersShowIt()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/most", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("RateLimit-Policy").Single().ShouldBe("\"most\";q=1000000000;w=1");
        Remaining(response).ShouldBe(999_999_999);
    }
}

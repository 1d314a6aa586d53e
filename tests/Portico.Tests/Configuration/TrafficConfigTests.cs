using Portico.Configuration;

namespace Portico.Tests.Configuration;

public sealed class TrafficConfigTests
{
    const string Base = """
        services:
          users: { urls: [http://127.0.0.1:5101] }
        """;

    [Fact]
    public void Load_RateLimitsStoreAndReferences_BindsEveryField()
    {
        var config = TestConfig.LoadValid(Base + """

            store: { kind: redis, connection: "127.0.0.1:6379", timeout: 100ms }
            trustedProxies: [10.0.0.0/8, 127.0.0.1]
            rateLimits:
              standard: { algorithm: sliding-window, limit: 100, window: 1m, key: [consumer, route], onStoreDown: deny, segments: 6 }
              burst: { algorithm: token-bucket, limit: 10, window: 1s, key: "header:X-Tenant" }
              slots: { algorithm: concurrency, limit: 4 }
            gateways:
              web: { listen: ["http://127.0.0.1:8080"], rateLimit: standard }
            routes:
              - { name: a, match: { path: /a }, service: users, rateLimit: burst }
              - { name: b, match: { path: /b }, service: users, rateLimit: none }
            """);

        config.Store.ShouldBe(new StoreDefinition(StoreKind.Redis, "127.0.0.1:6379", TimeSpan.FromMilliseconds(100)));
        config.TrustedProxies.ShouldBe(["10.0.0.0/8", "127.0.0.1"]);
        var standard = config.RateLimits!.Single(p => p.Name == "standard");
        standard.Algorithm.ShouldBe(RateLimitAlgorithm.SlidingWindow);
        standard.Limit.ShouldBe(100);
        standard.Window.ShouldBe(TimeSpan.FromMinutes(1));
        standard.Key.ShouldBe(["consumer", "route"]);
        standard.OnStoreDown.ShouldBe(StoreDownMode.Deny);
        standard.Segments.ShouldBe(6);
        config.RateLimits!.Single(p => p.Name == "burst").Key.ShouldBe(["header:X-Tenant"]);
        config.RateLimits!.Single(p => p.Name == "slots").Algorithm.ShouldBe(RateLimitAlgorithm.Concurrency);
        config.Gateways[0].RateLimit.ShouldBe("standard");
        config.Routes[0].RateLimit.ShouldBe("burst");
        config.Routes[1].RateLimit.ShouldBe("none");
    }

    [Fact]
    public void Load_NoTrafficSections_DefaultsToMemoryAndNoLimits()
    {
        var config = TestConfig.LoadValid(Base);

        config.Store.ShouldBe(StoreDefinition.Memory);
        config.RateLimits.ShouldBeEmpty();
    }

    [Fact]
    public void Load_UnknownRateLimitOnRoute_SuggestsTheClosestName()
    {
        var errors = TestConfig.Errors(Base + """

            rateLimits:
              standard: { algorithm: fixed-window, limit: 5, window: 1m }
            routes:
              - { name: a, match: { path: /a }, service: users, rateLimit: standrd }
            """);

        errors.ErrorAt("routes[0].rateLimit").Message.ShouldBe("unknown rate limit 'standrd'");
        errors.ErrorAt("routes[0].rateLimit").Hint!.ShouldContain("standard");
    }

    [Theory]
    [InlineData("{ algorithm: leaky, limit: 5, window: 1m }", "rateLimits.p.algorithm")]
    [InlineData("{ algorithm: fixed-window, limit: 0, window: 1m }", "rateLimits.p.limit")]
    [InlineData("{ algorithm: fixed-window, limit: 1000000001, window: 1d }", "rateLimits.p.limit")]
    [InlineData("{ algorithm: fixed-window, limit: 99999999999, window: 1d }", "rateLimits.p.limit")]
    [InlineData("{ algorithm: fixed-window, window: 1m }", "rateLimits.p.limit")]
    [InlineData("{ algorithm: fixed-window, limit: 5 }", "rateLimits.p.window")]
    [InlineData("{ algorithm: fixed-window, limit: 5, window: 1m, key: cookie }", "rateLimits.p.key")]
    [InlineData("{ algorithm: fixed-window, limit: 5, window: 1m, key: [ip, ip] }", "rateLimits.p.key")]
    [InlineData("{ algorithm: fixed-window, limit: 5, window: 1m, onStoreDown: maybe }", "rateLimits.p.onStoreDown")]
    public void Load_InvalidRateLimit_ReportsTheKey(string policy, string path)
    {
        var errors = TestConfig.Errors(Base + $"\nrateLimits:\n  p: {policy}\n");

        errors.ErrorAt(path);
    }

    [Fact]
    public void Load_BadTrustedProxyAndRedisWithoutConnection_ReportsBoth()
    {
        var errors = TestConfig.Errors(Base + """

            store: { kind: redis }
            trustedProxies: [10.0.0.0/8, proxy.local]
            """);

        errors.ErrorAt("trustedProxies[1]").Message.ShouldContain("proxy.local");
        errors.ErrorAt("store.connection");
    }

    [Fact]
    public void Load_NoneAsGatewayDefault_IsAnError()
    {
        var errors = TestConfig.Errors(Base + """

            gateways:
              web: { listen: ["http://127.0.0.1:8080"], rateLimit: none }
            """);

        errors.ErrorAt("gateways.web.rateLimit");
    }

    [Theory]
    [InlineData("fixed-window")]
    [InlineData("sliding-window")]
    [InlineData("token-bucket")]
    public void Load_LimitOfTenMillionADayAndTheMaximum_Accepted(string algorithm)
    {
        var config = TestConfig.LoadValid(Base + $"\nrateLimits:\n  daily: {{ algorithm: {algorithm}, limit: 10000000, window: 1d }}\n  most: {{ algorithm: {algorithm}, limit: 1000000000, window: 1s }}\n");

        config.RateLimits!.Single(p => p.Name == "daily").Limit.ShouldBe(10_000_000);
        config.RateLimits!.Single(p => p.Name == "most").Limit.ShouldBe(1_000_000_000);
    }
}

using Portico.Configuration;

namespace Portico.Tests.Configuration;

public sealed class CacheConfigTests
{
    const string Base = """
        services:
          users: { urls: [http://127.0.0.1:5101] }
        """;

    [Fact]
    public void Load_CachePoliciesAndReferences_BindsEveryField()
    {
        var config = TestConfig.LoadValid(Base + """

            cachePolicies:
              short: { ttl: 30s }
              catalog: { ttl: 5m, vary: [Accept, Accept-Language], query: [page], ignoreUpstreamCacheControl: true }
            routes:
              - { name: a, match: { path: /a }, service: users, cache: catalog }
            server:
              cache: { size: 64MiB, maxBodySize: 1MiB }
            """);

        config.CachePolicies!.Single(p => p.Name == "short").ShouldBe(new CachePolicyDefinition("short", TimeSpan.FromSeconds(30), [], null, false), new PolicyComparer());
        var catalog = config.CachePolicies!.Single(p => p.Name == "catalog");
        catalog.Ttl.ShouldBe(TimeSpan.FromMinutes(5));
        catalog.Vary.ShouldBe(["Accept", "Accept-Language"]);
        catalog.Query.ShouldBe(["page"]);
        catalog.IgnoreUpstreamCacheControl.ShouldBeTrue();
        config.Routes[0].Cache.ShouldBe("catalog");
        config.Server.CacheSize.ShouldBe(64L * 1024 * 1024);
        config.Server.CacheMaxBodySize.ShouldBe(1024L * 1024);
    }

    [Fact]
    public void Load_NoCacheSections_NoPoliciesAndDefaultLimits()
    {
        var config = TestConfig.LoadValid(Base);

        config.CachePolicies.ShouldBeEmpty();
        config.Server.CacheSize.ShouldBe(ServerDefinition.DefaultCacheSize);
        config.Server.CacheMaxBodySize.ShouldBe(ServerDefinition.DefaultCacheMaxBodySize);
    }

    [Fact]
    public void Load_UnknownCachePolicyOnRoute_SuggestsTheClosestName()
    {
        var errors = TestConfig.Errors(Base + """

            cachePolicies:
              short: { ttl: 30s }
            routes:
              - { name: a, match: { path: /a }, service: users, cache: shrt }
            """);

        errors.ErrorAt("routes[0].cache").Message.ShouldBe("unknown cache policy 'shrt'");
        errors.ErrorAt("routes[0].cache").Hint!.ShouldContain("short");
    }

    [Theory]
    [InlineData("{ vary: [Accept] }", "cachePolicies.p.ttl")]
    [InlineData("{ ttl: 500ms }", "cachePolicies.p.ttl")]
    [InlineData("{ ttl: soon }", "cachePolicies.p.ttl")]
    [InlineData("{ ttl: 1m, vary: [\"Accept Language\"] }", "cachePolicies.p.vary")]
    [InlineData("{ ttl: 1m, colour: red }", "cachePolicies.p.colour")]
    public void Load_BadCachePolicy_ErrorAtItsPath(string policy, string path)
    {
        var errors = TestConfig.Errors(Base + $"\ncachePolicies:\n  p: {policy}\n");

        errors.ShouldContain(e => e.Path == path, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void Load_CacheSmallerThanOneMiB_Refused()
    {
        var errors = TestConfig.Errors(Base + "\nserver: { cache: { size: 64KiB } }\n");

        errors.ErrorAt("server.cache.size").Hint!.ShouldContain("100MiB");
    }

    sealed class PolicyComparer : IEqualityComparer<CachePolicyDefinition>
    {
        public bool Equals(CachePolicyDefinition? x, CachePolicyDefinition? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Ttl == y.Ttl && x.Vary.SequenceEqual(y.Vary)
            && (x.Query is null ? y.Query is null : y.Query is not null && x.Query.SequenceEqual(y.Query)) && x.IgnoreUpstreamCacheControl == y.IgnoreUpstreamCacheControl;

        public int GetHashCode(CachePolicyDefinition obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}

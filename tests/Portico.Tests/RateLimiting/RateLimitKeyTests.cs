using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Http;
using Portico.Identity;
using Portico.RateLimiting;

namespace Portico.Tests.RateLimiting;

public sealed class RateLimitKeyTests : IDisposable
{
    readonly List<IDisposable> _counters = [];

    RateLimitEndpointPolicy Policy(params string[] key)
    {
        var definition = new RateLimitDefinition("p", RateLimitAlgorithm.FixedWindow, 5, TimeSpan.FromMinutes(1), key, StoreDownMode.Allow, 10);
        var counter = new MemoryRateLimitCounter(definition);
        _counters.Add(counter);
        return new RateLimitEndpointPolicy(new RateLimitPolicy(definition, counter, usesStore: false), "user", "route:web/user", ClientAddress.NoTrustedProxies);
    }

    static DefaultHttpContext Request()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.9");
        return context;
    }

    [Fact]
    public void KeyFor_ConsumerWithIdentity_IsTheCallerKey()
    {
        var context = Request();
        context.Features.Set(new GatewayIdentity("alice", "mobile-app", [], "apikey"));

        Policy("consumer").KeyFor(context).ShouldBe("consumer:mobile-app");
    }

    [Fact]
    public void KeyFor_ConsumerWithoutIdentity_FallsBackToClientIp()
    {
        Policy("consumer").KeyFor(Request()).ShouldBe("ip:203.0.113.9");
    }

    [Fact]
    public void KeyFor_HeaderPresentOrMissing_UsesTheValueElseTheClientIp()
    {
        var context = Request();
        var policy = Policy("header:X-Tenant");
        policy.KeyFor(context).ShouldBe("ip:203.0.113.9");

        context.Request.Headers["X-Tenant"] = "acme";

        policy.KeyFor(context).ShouldBe("h:acme");
    }

    [Fact]
    public void KeyFor_Combination_JoinsEveryPart()
    {
        var context = Request();
        context.Features.Set(new GatewayIdentity("bob", null, [], "jwt"));

        Policy("consumer", "route").KeyFor(context).ShouldBe("sub:bob|route:web/user");
    }

    public void Dispose()
    {
        foreach (var counter in _counters) counter.Dispose();
    }
}

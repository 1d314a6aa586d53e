using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.RateLimiting;

public sealed class MemoryRateLimitTests
{
    static string Config(TestBackend backend, string extra = "") => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        rateLimits:
          fixed: { algorithm: fixed-window, limit: 20, window: 1h, key: ip }
          sliding: { algorithm: sliding-window, limit: 20, window: 1h, key: ip }
          bucket: { algorithm: token-bucket, limit: 20, window: 1h, key: ip }
          small: { algorithm: fixed-window, limit: 2, window: 1h, key: ip }
          tenant: { algorithm: fixed-window, limit: 1, window: 1h, key: "header:X-Tenant" }
        {{extra}}
        routes:
          - { name: fixed, match: { path: /fixed }, service: api, rateLimit: fixed }
          - { name: sliding, match: { path: /sliding }, service: api, rateLimit: sliding }
          - { name: bucket, match: { path: /bucket }, service: api, rateLimit: bucket }
          - { name: small, match: { path: /small }, service: api, rateLimit: small }
          - { name: tenant, match: { path: /tenant }, service: api, rateLimit: tenant }
          - { name: free, match: { path: /free }, service: api }
        """;

    [Fact]
    public async Task FixedWindow_ConcurrentClientsOnOneNode_AdmitsExactlyTheLimit()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));

        var result = await Burst.FireAsync([gateway.BaseAddress()], "/fixed", clients: 10, requestsPerClient: 10, TestContext.Current.CancellationToken);

        result.Admitted.ShouldBe(20);
        result.Rejected.ShouldBe(80);
        backend.CallsTo("/fixed").ShouldBe(20);
    }

    [Theory]
    [InlineData("/sliding")]
    [InlineData("/bucket")]
    public async Task SlidingWindowAndTokenBucket_ConcurrentClientsOnOneNode_NeverAdmitAboveTheLimit(string path)
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));

        var result = await Burst.FireAsync([gateway.BaseAddress()], path, clients: 10, requestsPerClient: 10, TestContext.Current.CancellationToken);

        result.Admitted.ShouldBeInRange(1, 20);
        (result.Admitted + result.Rejected).ShouldBe(100);
        backend.CallsTo(path).ShouldBe(result.Admitted);
    }

    [Fact]
    public async Task Get_OverTheLimit_Answers429ProblemWithRateLimitHeadersAndRetryAfter()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        var first = await client.GetAsync("/small", TestContext.Current.CancellationToken);
        var second = await client.GetAsync("/small", TestContext.Current.CancellationToken);
        var third = await client.GetAsync("/small", TestContext.Current.CancellationToken);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.GetValues("RateLimit-Policy").Single().ShouldBe("\"small\";q=2;w=3600");
        first.Headers.GetValues("RateLimit").Single().ShouldBe("\"small\";r=1");
        second.Headers.GetValues("RateLimit").Single().ShouldBe("\"small\";r=0");
        third.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        var problem = await ProblemResponse.ReadAsync(third, TestContext.Current.CancellationToken);
        problem.ContentType.ShouldBe("application/problem+json");
        problem.Type.ShouldBe("urn:portico:problem:rate-limited");
        problem.Route.ShouldBe("small");
        third.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.FromMinutes(59));
        third.Headers.GetValues("RateLimit-Policy").Single().ShouldBe("\"small\";q=2;w=3600");
        third.Headers.GetValues("RateLimit").Single().ShouldStartWith("\"small\";r=0;t=");
        backend.CallsTo("/small").ShouldBe(2);
    }

    [Fact]
    public async Task HeaderKey_DifferentValues_CountSeparately()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        async Task<HttpStatusCode> Get(string tenant)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/tenant");
            request.Headers.Add("X-Tenant", tenant);
            return (await client.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode;
        }

        (await Get("acme")).ShouldBe(HttpStatusCode.OK);
        (await Get("acme")).ShouldBe(HttpStatusCode.TooManyRequests);
        (await Get("globex")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task IpKey_ForwardedForFromATrustedProxy_CountsPerClientAndFromOthersIsIgnored()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var trusted = await GatewayUnderTest.StartAsync(Config(backend, "trustedProxies: [127.0.0.1]"));
        await using var untrusted = await GatewayUnderTest.StartAsync(Config(backend));

        static async Task<HttpStatusCode> Get(GatewayUnderTest gateway, string forwardedFor)
        {
            using var client = gateway.CreateClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/small");
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            return (await client.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode;
        }

        foreach (var gateway in new[] { trusted, untrusted })
        {
            (await Get(gateway, "198.51.100.1")).ShouldBe(HttpStatusCode.OK);
            (await Get(gateway, "198.51.100.1")).ShouldBe(HttpStatusCode.OK);
            (await Get(gateway, "198.51.100.1")).ShouldBe(HttpStatusCode.TooManyRequests);
        }
        // Behind a trusted proxy another client has its own quota; a spoofed header from an untrusted peer buys nothing.
        (await Get(trusted, "198.51.100.2")).ShouldBe(HttpStatusCode.OK);
        (await Get(untrusted, "198.51.100.2")).ShouldBe(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task GatewayDefault_AppliesToRoutesWithoutTheirOwnAndNoneOptsOut()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            gateways:
              default: { listen: ["http://127.0.0.1:0"], rateLimit: one }
            services:
              api: { urls: ["{{backend.Url}}"] }
            rateLimits:
              one: { algorithm: fixed-window, limit: 1, window: 1h }
            routes:
              - { name: limited, match: { path: /limited }, service: api }
              - { name: open, match: { path: /open }, service: api, rateLimit: none }
            """);
        using var client = gateway.CreateClient();

        (await client.GetAsync("/limited", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/limited", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        for (var i = 0; i < 3; i++)
        {
            var open = await client.GetAsync("/open", TestContext.Current.CancellationToken);
            open.StatusCode.ShouldBe(HttpStatusCode.OK);
            open.Headers.Contains("RateLimit").ShouldBeFalse();
        }
    }

    [Fact]
    public async Task SharedPolicy_CountsPerRouteOnlyWhenTheKeyNamesTheRoute()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              api: { urls: ["{{backend.Url}}"] }
            rateLimits:
              shared: { algorithm: fixed-window, limit: 1, window: 1h, key: ip }
              split: { algorithm: fixed-window, limit: 1, window: 1h, key: [ip, route] }
            routes:
              - { name: shared-a, match: { path: /shared/a }, service: api, rateLimit: shared }
              - { name: shared-b, match: { path: /shared/b }, service: api, rateLimit: shared }
              - { name: split-a, match: { path: /split/a }, service: api, rateLimit: split }
              - { name: split-b, match: { path: /split/b }, service: api, rateLimit: split }
            """);
        using var client = gateway.CreateClient();
        async Task<HttpStatusCode> Get(string path) => (await client.GetAsync(path, TestContext.Current.CancellationToken)).StatusCode;

        (await Get("/shared/a")).ShouldBe(HttpStatusCode.OK);
        (await Get("/shared/b")).ShouldBe(HttpStatusCode.TooManyRequests);
        (await Get("/split/a")).ShouldBe(HttpStatusCode.OK);
        (await Get("/split/b")).ShouldBe(HttpStatusCode.OK);
        (await Get("/split/a")).ShouldBe(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Concurrency_RequestsInFlightAtTheLimit_RejectsTheNextUntilOneCompletes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("api", app => app.MapGet("/slow", async () =>
        {
            entered.TrySetResult();
            await release.Task;
            return Results.Text("done");
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              api: { urls: ["{{backend.Url}}"] }
            rateLimits:
              one-at-a-time: { algorithm: concurrency, limit: 1 }
            routes:
              - { name: slow, match: { path: /slow }, service: api, rateLimit: one-at-a-time }
            """);
        using var client = gateway.CreateClient();

        var first = client.GetAsync("/slow", TestContext.Current.CancellationToken);
        await entered.Task.WaitAsync(TestContext.Current.CancellationToken);
        var second = await client.GetAsync("/slow", TestContext.Current.CancellationToken);
        release.SetResult();
        (await first).StatusCode.ShouldBe(HttpStatusCode.OK);
        var third = await Poll.UntilAsync(() => client.GetAsync("/slow", TestContext.Current.CancellationToken), r => r.StatusCode == HttpStatusCode.OK);

        second.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        second.Headers.GetValues("RateLimit-Policy").Single().ShouldBe("\"one-at-a-time\";q=1");
        third.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Reload_UnchangedPolicyKeepsItsCountAndAChangedOneStartsFresh()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        (await client.GetAsync("/small", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/small", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await File.WriteAllTextAsync(gateway.ConfigPath, "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n"
            + Config(backend) + "\n  - { name: added, match: { path: /added }, service: api }\n", TestContext.Current.CancellationToken);
        (await gateway.Runtime.ReloadAsync()).Applied.ShouldBeTrue();
        var afterUnchanged = await client.GetAsync("/small", TestContext.Current.CancellationToken);

        await File.WriteAllTextAsync(gateway.ConfigPath, "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n"
            + Config(backend).Replace("small: { algorithm: fixed-window, limit: 2", "small: { algorithm: fixed-window, limit: 3", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        (await gateway.Runtime.ReloadAsync()).Applied.ShouldBeTrue();
        var afterChanged = await client.GetAsync("/small", TestContext.Current.CancellationToken);

        afterUnchanged.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        afterChanged.StatusCode.ShouldBe(HttpStatusCode.OK);
        afterChanged.Headers.GetValues("RateLimit-Policy").Single().ShouldBe("\"small\";q=3;w=3600");
    }

    [Fact]
    public async Task Decisions_AreCountedOnThePorticoMeter()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        var factory = gateway.App.Services.GetRequiredService<IMeterFactory>();
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "portico.rate_limit.decisions") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            string Tag(string key) => all.Single(t => t.Key == key).Value!.ToString()!;
            var outcome = $"{Tag("portico.rate_limit.policy")}/{Tag("portico.route")}/{Tag("portico.outcome")}";
            lock (counts) counts[outcome] = counts.GetValueOrDefault(outcome) + value;
        });
        listener.Start();
        using var client = gateway.CreateClient();

        for (var i = 0; i < 3; i++) await client.GetAsync("/small", TestContext.Current.CancellationToken);

        lock (counts)
        {
            counts["small/small/admitted"].ShouldBe(2);
            counts["small/small/limited"].ShouldBe(1);
        }
    }
}

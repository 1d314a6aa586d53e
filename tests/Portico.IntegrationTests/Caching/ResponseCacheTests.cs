using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Caching;

public sealed class ResponseCacheTests
{
    static readonly string KeyA = ApiKeys.Derive("cache-a");
    static readonly string KeyB = ApiKeys.Derive("cache-b");

    static string Config(TestBackend backend, string extra = "") => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        auth:
          apikey: { header: X-Api-Key }
          consumers:
            a: { keys: ["{{ApiKeys.Hash(KeyA)}}"] }
            b: { keys: ["{{ApiKeys.Hash(KeyB)}}"] }
        cachePolicies:
          short: { ttl: 60s }
          lang: { ttl: 60s, vary: [Accept-Language], query: [page] }
          forced: { ttl: 60s, ignoreUpstreamCacheControl: true }
        {{extra}}
        routes:
          - { name: items, match: { path: "/items/{**rest}" }, service: api, cache: short }
          - { name: langs, match: { path: "/langs/{**rest}" }, service: api, cache: lang }
          - { name: forced, match: { path: "/forced/{**rest}" }, service: api, cache: forced }
          - { name: mine, match: { path: "/mine/{**rest}" }, service: api, cache: short, auth: [apikey] }
          - { name: plain, match: { path: "/plain/{**rest}" }, service: api }
        """;

    static Task<TestBackend> Backend(Action<WebApplication>? map = null) => TestBackend.StartAsync("api", app =>
    {
        var counter = 0;
        app.MapGet("/items/nostore", (HttpContext c) => { c.Response.Headers.CacheControl = "no-store"; return Results.Text($"n{Interlocked.Increment(ref counter)}"); });
        app.MapGet("/items/private", (HttpContext c) => { c.Response.Headers.CacheControl = "private, max-age=60"; return Results.Text($"p{Interlocked.Increment(ref counter)}"); });
        app.MapGet("/forced/nostore", (HttpContext c) => { c.Response.Headers.CacheControl = "no-store"; return Results.Text($"f{Interlocked.Increment(ref counter)}"); });
        app.MapGet("/items/cookie", (HttpContext c) => { c.Response.Headers.SetCookie = "s=1"; return Results.Text($"c{Interlocked.Increment(ref counter)}"); });
        app.MapGet("/items/short", (HttpContext c) => { c.Response.Headers.CacheControl = "public, max-age=5"; return Results.Text($"s{Interlocked.Increment(ref counter)}"); });
        app.MapGet("/mine/whoami", (HttpContext c) => Results.Text($"{c.Request.Headers["X-Consumer"]}:{Interlocked.Increment(ref counter)}"));
        map?.Invoke(app);
    });

    static async Task<string> StatusAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return response.Headers.GetValues("Cache-Status").Single();
    }

    [Fact]
    public async Task Get_TwiceOnACachedRoute_SecondIsAHitWithAgeAndCacheStatus()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync("/items/1", TestContext.Current.CancellationToken);
        using var second = await client.GetAsync("/items/1", TestContext.Current.CancellationToken);

        backend.CallsTo("/items/1").ShouldBe(1);
        second.Headers.Age.ShouldNotBeNull();
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.GetValues("Cache-Status").Single().ShouldBe("Portico; fwd=uri-miss; stored; ttl=60");
        first.Headers.Age.ShouldBeNull();
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit; ttl=");
        second.Headers.Age.ShouldNotBeNull();
        second.Headers.Age!.Value.ShouldBeInRange(TimeSpan.Zero, TimeSpan.FromSeconds(60));
        (await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        backend.CallsTo("/items/1").ShouldBe(1);
    }

    [Fact]
    public async Task Get_QueryInAnotherOrder_SameEntry_OtherValues_OtherEntry()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        (await client.GetAsync("/items/q?a=1&b=2", TestContext.Current.CancellationToken)).Dispose();
        using var reordered = await client.GetAsync("/items/q?b=2&a=1", TestContext.Current.CancellationToken);
        using var other = await client.GetAsync("/items/q?a=1&b=3", TestContext.Current.CancellationToken);

        reordered.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit");
        other.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; fwd=uri-miss");
        backend.CallsTo("/items/q").ShouldBe(2);
    }

    [Fact]
    public async Task Get_PolicyWithVaryAndQueryList_KeysOnThemOnly()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        async Task<string> Status(string path, string language)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.AcceptLanguage.ParseAdd(language);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            return response.Headers.GetValues("Cache-Status").Single();
        }

        (await Status("/langs/x?page=1&tracking=a", "en")).ShouldStartWith("Portico; fwd=uri-miss");
        (await Status("/langs/x?page=1&tracking=b", "en")).ShouldStartWith("Portico; hit");
        (await Status("/langs/x?page=1", "fr")).ShouldStartWith("Portico; fwd=uri-miss");
        (await Status("/langs/x?page=2", "en")).ShouldStartWith("Portico; fwd=uri-miss");
        backend.CallsTo("/langs/x").ShouldBe(3);
    }

    [Theory]
    [InlineData("/items/nostore", "no-store")]
    [InlineData("/items/private", "private")]
    [InlineData("/items/cookie", "set-cookie")]
    public async Task Get_UpstreamForbidsSharedCaching_NotStored(string path, string detail)
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync(path, TestContext.Current.CancellationToken);
        using var second = await client.GetAsync(path, TestContext.Current.CancellationToken);

        first.Headers.GetValues("Cache-Status").Single().ShouldBe($"Portico; fwd=uri-miss; detail={detail}");
        second.Headers.GetValues("Cache-Status").Single().ShouldBe($"Portico; fwd=uri-miss; detail={detail}");
        (await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldNotBe(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        backend.CallsTo(path).ShouldBe(2);
    }

    [Fact]
    public async Task Get_UpstreamMaxAgeShorterThanPolicy_StoredForTheShorterTime()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync("/items/short", TestContext.Current.CancellationToken);

        first.Headers.GetValues("Cache-Status").Single().ShouldBe("Portico; fwd=uri-miss; stored; ttl=5");
    }

    [Fact]
    public async Task Get_PolicyIgnoresUpstreamCacheControl_StoredDespiteNoStore()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        (await client.GetAsync("/forced/nostore", TestContext.Current.CancellationToken)).Dispose();
        using var second = await client.GetAsync("/forced/nostore", TestContext.Current.CancellationToken);

        second.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit");
        backend.CallsTo("/forced/nostore").ShouldBe(1);
    }

    [Fact]
    public async Task Post_OnACachedRoute_AlwaysForwarded()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        for (var i = 0; i < 2; i++)
        {
            using var content = new StringContent("{}");
            using var response = await client.PostAsync("/items/1", content, TestContext.Current.CancellationToken);
            response.Headers.GetValues("Cache-Status").Single().ShouldBe("Portico; fwd=method");
        }
        backend.CallsTo("/items/1", "POST").ShouldBe(2);
    }

    [Fact]
    public async Task Get_AuthenticatedRoute_TwoConsumersNeverSeeEachOthersBody()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        async Task<string> Get(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/mine/whoami");
            request.Headers.Add("X-Api-Key", key);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        }

        var a1 = await Get(KeyA);
        var b1 = await Get(KeyB);
        var a2 = await Get(KeyA);
        var b2 = await Get(KeyB);

        a1.ShouldStartWith("a:");
        b1.ShouldStartWith("b:");
        a2.ShouldBe(a1);
        b2.ShouldBe(b1);
        backend.CallsTo("/mine/whoami").ShouldBe(2);
    }

    [Fact]
    public async Task Get_AuthenticatedRouteWithoutCredentials_401NotCached()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/mine/whoami", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        backend.CallsTo("/mine/whoami").ShouldBe(0);
    }

    [Fact]
    public async Task Get_FiftyConcurrentMisses_OneUpstreamCall()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        await using var backend = await Backend(app => app.MapGet("/items/slow", async () =>
        {
            Interlocked.Increment(ref arrived);
            await release.Task;
            return Results.Text("slow");
        }));
        var entered = new RequestCounter();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend), services: s => s.AddSingleton<IStartupFilter>(entered));
        using var client = gateway.CreateClient();

        var requests = Enumerable.Range(0, 50).Select(_ => client.GetAsync("/items/slow", TestContext.Current.CancellationToken)).ToList();
        // The first request is at the backend; give the other 49 until they are all queued behind it at the gateway.
        await Poll.UntilAsync(() => Volatile.Read(ref arrived) == 1, TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(() => entered.Count >= 50, TimeSpan.FromSeconds(10));
        release.SetResult();
        var responses = await Task.WhenAll(requests);

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        backend.CallsTo("/items/slow").ShouldBe(1);
        foreach (var r in responses) r.Dispose();
    }

    [Fact]
    public async Task Get_CachedAndRateLimitedRoute_HitCarriesThisRequestsRateLimit()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, """
            rateLimits:
              few: { algorithm: fixed-window, limit: 10, window: 1h, key: ip }
            """).Replace("cache: short }", "cache: short, rateLimit: few }", StringComparison.Ordinal));
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync("/items/7", TestContext.Current.CancellationToken);
        using var second = await client.GetAsync("/items/7", TestContext.Current.CancellationToken);

        second.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit");
        first.Headers.GetValues("RateLimit").Single().ShouldEndWith("r=9");
        // The entry was stored with the first request's count; the hit counts as a request of its own.
        second.Headers.GetValues("RateLimit").Single().ShouldEndWith("r=8");
        backend.CallsTo("/items/7").ShouldBe(1);
    }

    [Fact]
    public async Task Get_ConditionalRequestMatchingTheEntry_304WithoutCallingTheUpstream()
    {
        await using var backend = await Backend(app => app.MapGet("/items/tagged", (HttpContext c) =>
        {
            c.Response.Headers.ETag = "\"v1\"";
            return Results.Text("tagged body");
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        using var first = await client.GetAsync("/items/tagged", TestContext.Current.CancellationToken);

        using var matching = new HttpRequestMessage(HttpMethod.Get, "/items/tagged");
        matching.Headers.TryAddWithoutValidation("If-None-Match", "W/\"v0\", \"v1\"");
        using var notModified = await client.SendAsync(matching, TestContext.Current.CancellationToken);
        using var other = new HttpRequestMessage(HttpMethod.Get, "/items/tagged");
        other.Headers.TryAddWithoutValidation("If-None-Match", "\"v2\"");
        using var full = await client.SendAsync(other, TestContext.Current.CancellationToken);

        notModified.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        notModified.Headers.ETag!.Tag.ShouldBe("\"v1\"");
        (await notModified.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).ShouldBeEmpty();
        full.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await full.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe("tagged body");
        backend.CallsTo("/items/tagged").ShouldBe(1);
    }

    [Fact]
    public async Task Head_OnACachedRoute_OwnEntryWithoutBody()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var get = await client.GetAsync("/items/9", TestContext.Current.CancellationToken);
        using var head1Request = new HttpRequestMessage(HttpMethod.Head, "/items/9");
        using var head1 = await client.SendAsync(head1Request, TestContext.Current.CancellationToken);
        using var head2Request = new HttpRequestMessage(HttpMethod.Head, "/items/9");
        using var head2 = await client.SendAsync(head2Request, TestContext.Current.CancellationToken);

        head1.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; fwd=uri-miss; stored");
        head2.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit");
        head2.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await head2.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).ShouldBeEmpty();
        backend.CallsTo("/items/9", "HEAD").ShouldBe(1);
        backend.CallsTo("/items/9").ShouldBe(1);
    }

    [Fact]
    public async Task Get_EntryOlderThanItsTtl_FetchedAgain()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend), time: time);
        using var client = gateway.CreateClient();

        await StatusAsync(client, "/items/5");
        time.Advance(TimeSpan.FromSeconds(59));
        using var stillFresh = await client.GetAsync("/items/5", TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(2));
        var afterTtl = await StatusAsync(client, "/items/5");

        stillFresh.Headers.GetValues("Cache-Status").Single().ShouldBe("Portico; hit; ttl=1");
        stillFresh.Headers.Age.ShouldBe(TimeSpan.FromSeconds(59));
        afterTtl.ShouldStartWith("Portico; fwd=uri-miss; stored");
        backend.CallsTo("/items/5").ShouldBe(2);
    }

    [Fact]
    public async Task Get_XmlClientOnACachedRoute_ConvertedFromTheStoredJson()
    {
        await using var backend = await Backend(app => app.MapGet("/items/doc", () => Results.Json(new { name = "doc", size = 3 })));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend).Replace("cache: short }", "cache: short, formats: [json, xml] }", StringComparison.Ordinal));
        using var client = gateway.CreateClient();

        using var json = await client.GetAsync("/items/doc", TestContext.Current.CancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/doc");
        request.Headers.Accept.ParseAdd("application/xml");
        using var xml = await client.SendAsync(request, TestContext.Current.CancellationToken);

        json.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; fwd=uri-miss; stored");
        xml.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit");
        xml.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        (await xml.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("<name>doc</name>");
        xml.Headers.Vary.ShouldContain("Accept");
        backend.CallsTo("/items/doc").ShouldBe(1);
    }

    [Fact]
    public async Task Get_UpstreamFailsMidBody_NotStored()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await Backend(app => app.MapGet("/items/broken", async (HttpContext c) =>
        {
            await c.Response.WriteAsync("the first half ");
            await c.Response.Body.FlushAsync();
            await release.Task;
            c.Abort();
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using (var response = await client.GetAsync("/items/broken", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            await using var body = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            var first = new byte[4];
            await body.ReadExactlyAsync(first, TestContext.Current.CancellationToken);
            // The first half reached the client through the gateway; now the upstream dies.
            release.SetResult();
            await Should.ThrowAsync<IOException>(async () => await body.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken));
        }
        try
        {
            using var again = await client.GetAsync("/items/broken", TestContext.Current.CancellationToken);
            again.Headers.GetValues("Cache-Status").Single().ShouldNotStartWith("Portico; hit");
        }
        catch (HttpRequestException)
        {
            // The upstream breaks this one too; what matters is that it was asked again.
        }

        backend.CallsTo("/items/broken").ShouldBe(2);
    }

    [Fact]
    public async Task Get_UncachedRoute_NoCacheStatus()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/plain/1", TestContext.Current.CancellationToken);

        response.Headers.Contains("Cache-Status").ShouldBeFalse();
    }

    /// Counts requests as they enter the gateway's pipeline, before any Portico middleware.
    sealed class RequestCounter : IStartupFilter
    {
        int _count;

        public int Count => Volatile.Read(ref _count);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                Interlocked.Increment(ref _count);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

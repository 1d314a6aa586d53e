using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Http;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;
using Portico.Problems;

namespace Portico.IntegrationTests.Hostile;

/// The buffered-bodies budget, against the real gateway process (so the resident memory measured is its own):
/// concurrent aggregates of ~3.9 MB parts from a real Kestrel backend.
public sealed class MemoryBudgetTests
{
    const int MiB = 1024 * 1024;
    const int Budget = 24 * MiB;
    const int Items = 30_000;

    static CancellationToken Token => TestContext.Current.CancellationToken;

    /// ~3.9 MB of JSON: many small objects, as a real list endpoint answers (and as JsonNode trees cost most).
    static readonly byte[] BigPart = BuildPart();

    static byte[] BuildPart()
    {
        var text = new StringBuilder("{\"items\":[");
        for (var i = 0; i < Items; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"name\":\"item {i:D6}\",\"note\":\"{new string('x', 80)}\"}}");
        }
        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }

    static Task<TestBackend> BigBackendAsync() => TestBackend.StartAsync("big", app =>
    {
        app.MapGet("/big", (HttpContext c) =>
        {
            c.Response.ContentType = "application/json";
            c.Response.ContentLength = BigPart.Length;
            return c.Response.Body.WriteAsync(BigPart, c.RequestAborted).AsTask();
        });
        // Chunked (no Content-Length): the budget is taken chunk by chunk.
        app.MapGet("/big-chunked", async (HttpContext c) =>
        {
            c.Response.ContentType = "application/json";
            for (var offset = 0; offset < BigPart.Length; offset += 64 * 1024)
                await c.Response.Body.WriteAsync(BigPart.AsMemory(offset, Math.Min(64 * 1024, BigPart.Length - offset)), c.RequestAborted);
        });
    });

    static string Config(TestBackend backend, string? budget) => $$"""
        {{(budget is null ? "" : $"server:\n  limits: {{ bufferedBodies: {budget} }}\n")}}services:
          big: { urls: ["{{backend.Url}}"] }
        routes:
          - name: agg
            match: { path: /agg }
            aggregate:
              maxResponseSize: 8MiB
              parts:
                big: { service: big, path: /big }
          - name: agg-chunked
            match: { path: /agg-chunked }
            aggregate:
              maxResponseSize: 8MiB
              parts:
                big: { service: big, path: /big-chunked }
        """;

    /// Resident set of a process in bytes, from /proc (Linux).
    static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException("no VmRSS line");
    }

    sealed record Load(int Ok, int Overloaded, int Other, long StartRss, long PeakRss, List<string> Failures);

    static async Task<Load> FireAsync(GatewayProcess gateway, string path, int concurrency)
    {
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        // Warm up one request, so JIT and the first pool sizes are part of the start.
        using (var warm = await client.GetAsync(path, Token)) warm.StatusCode.ShouldBe(HttpStatusCode.OK);
        var start = Rss(gateway.Pid);
        var peak = start;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            while (await timer.WaitForNextTickAsync(sampling.Token).ConfigureAwait(false)) peak = Math.Max(peak, Rss(gateway.Pid));
        }, CancellationToken.None);
        var failures = new ConcurrentBag<string>();
        int ok = 0, overloaded = 0, other = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            using var response = await client.GetAsync(path, Token);
            var body = await response.Content.ReadAsByteArrayAsync(Token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var json = JsonDocument.Parse(body);
                var items = json.RootElement.GetProperty("big").GetProperty("items");
                if (items.GetArrayLength() == Items && items[Items - 1].GetProperty("id").GetInt32() == Items - 1) Interlocked.Increment(ref ok);
                else failures.Add($"incomplete 200: {items.GetArrayLength()} items");
            }
            else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                using var json = JsonDocument.Parse(body);
                var type = json.RootElement.GetProperty("type").GetString();
                if (type == Problem.Types.Overloaded && response.Content.Headers.ContentType?.MediaType == Problem.ContentType
                    && response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }) Interlocked.Increment(ref overloaded);
                else failures.Add($"503 without the overloaded problem or Retry-After: {Encoding.UTF8.GetString(body)}");
            }
            else
            {
                Interlocked.Increment(ref other);
                failures.Add($"{(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
            }
        }));
        peak = Math.Max(peak, Rss(gateway.Pid));
        await sampling.CancelAsync();
        try
        {
            await sampler;
        }
        catch (OperationCanceledException)
        {
        }
        return new Load(ok, overloaded, other, start, peak, [.. failures]);
    }

    static void Report(string what, Load load, long? settled = null) => TestContext.Current.TestOutputHelper?.WriteLine(
        $"{what}: 200={load.Ok} 503={load.Overloaded} other={load.Other} rss start={load.StartRss / MiB} MiB peak={load.PeakRss / MiB} MiB"
        + (settled is { } s ? $" settled={s / MiB} MiB" : ""));

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public async Task ConcurrentLargeAggregates_OverTheBudget_ExcessAnswered503AndMemoryBoundedAndGivenBack(int concurrency)
    {
        await using var backend = await BigBackendAsync();
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, "24MiB"));

        var load = await FireAsync(gateway, "/agg", concurrency);
        // Idle again: the gateway collects once the budget has been idle a moment, and says so.
        var collected = await gateway.WaitForLogAsync(l => l.Contains("Buffered bodies idle after a burst", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var settled = await Poll.UntilAsync(() => Task.FromResult(Rss(gateway.Pid)), rss => rss <= load.StartRss + Budget + 64L * MiB, TimeSpan.FromSeconds(30));
        Report($"{concurrency} concurrent, budget 24MiB", load, settled);
        TestContext.Current.TestOutputHelper?.WriteLine(collected);

        load.Failures.ShouldBeEmpty();
        load.Other.ShouldBe(0);
        load.Ok.ShouldBeGreaterThan(0);
        load.Overloaded.ShouldBeGreaterThan(0);
        // Generous: the start, plus twice the budget (what is counted is live; the GC lets as much again pile up as
        // garbage before it collects), plus 96 MiB for the GC's own budgets and 32 connections' buffers.
        load.PeakRss.ShouldBeLessThan(load.StartRss + 2L * Budget + 96L * MiB);
        // After the idle collection what stays is what the runtime's shared array pool keeps per thread and core
        // (JSON parsing rents from it): bounded, and far below the load's own size.
        settled.ShouldBeLessThanOrEqualTo(load.StartRss + Budget + 64L * MiB);
    }

    [Fact]
    public async Task ChunkedParts_OverTheBudget_ExcessAnswered503_AdmittedComplete()
    {
        await using var backend = await BigBackendAsync();
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, "24MiB"));

        var load = await FireAsync(gateway, "/agg-chunked", 16);
        Report("16 concurrent chunked, budget 24MiB", load);

        load.Failures.ShouldBeEmpty();
        load.Ok.ShouldBeGreaterThan(0);
        load.Overloaded.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task ConcurrentLargeAggregates_DefaultBudget_AllServed()
    {
        await using var backend = await BigBackendAsync();
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, null));

        var load = await FireAsync(gateway, "/agg", 16);
        Report("16 concurrent, default budget", load);

        load.Failures.ShouldBeEmpty();
        load.Ok.ShouldBe(16);
    }

    [Fact]
    public async Task AfterTheLoad_TheBudgetIsGivenBack_NewRequestsAdmitted()
    {
        await using var backend = await BigBackendAsync();
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, "24MiB"));
        var load = await FireAsync(gateway, "/agg", 16);
        load.Overloaded.ShouldBeGreaterThan(0);
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };

        // Every admitted request gave its share back: three large aggregates one after another all fit again.
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync("/agg", Token);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    /// Parts that misbehave, against an in-process gateway whose budget the test can read.
    static async Task<(TestBackend Backend, GatewayUnderTest Gateway)> StartHostileAsync(TaskCompletionSource hanging)
    {
        var backend = await TestBackend.StartAsync("hostile", app =>
        {
            // Announces far more than the budget: refused before a byte of it is read.
            app.MapGet("/huge", async (HttpContext c) =>
            {
                c.Response.ContentType = "application/json";
                c.Response.ContentLength = 100L * MiB;
                await c.Response.Body.WriteAsync("{\"a\":1"u8.ToArray(), c.RequestAborted);
                await Task.Delay(Timeout.Infinite, c.RequestAborted);
            });
            // Announces 2 MiB and breaks off after a few bytes.
            app.MapGet("/short", async (HttpContext c) =>
            {
                c.Response.ContentType = "application/json";
                c.Response.ContentLength = 2 * MiB;
                await c.Response.Body.WriteAsync("{\"a\":1"u8.ToArray(), c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
                c.Abort();
            });
            // Chunked, and never ends.
            app.MapGet("/endless", async (HttpContext c) =>
            {
                c.Response.ContentType = "application/json";
                await c.Response.Body.WriteAsync(new byte[64 * 1024], c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
                hanging.TrySetResult();
                await Task.Delay(Timeout.Infinite, c.RequestAborted);
            });
        });
        var gateway = await GatewayUnderTest.StartAsync($$"""
            server:
              limits: { bufferedBodies: 8MiB }
            services:
              hostile: { urls: ["{{backend.Url}}"] }
            routes:
              - name: huge
                match: { path: /huge }
                aggregate: { maxResponseSize: 200MiB, parts: { p: { service: hostile, path: /huge } } }
              - name: short
                match: { path: /short }
                aggregate: { parts: { p: { service: hostile, path: /short } } }
              - name: endless
                match: { path: /endless }
                aggregate: { deadline: 1s, parts: { p: { service: hostile, path: /endless } } }
              - name: endless-long
                match: { path: /endless-long }
                aggregate: { deadline: 60s, parts: { p: { service: hostile, path: /endless } } }
            """);
        return (backend, gateway);
    }

    static BufferedBodyBudget BudgetOf(GatewayUnderTest gateway) => gateway.App.Services.GetRequiredService<BufferedBodyBudget>();

    [Fact]
    public async Task PartAnnouncingMoreThanTheBudget_Answered503WithoutReadingIt_NothingHeld()
    {
        var (backend, gateway) = await StartHostileAsync(new());
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/huge", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull();
        (await ProblemResponse.ReadAsync(response, Token)).Type.ShouldBe(Problem.Types.Overloaded);
        await Poll.UntilAsync(() => BudgetOf(gateway).InUse == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task PartBreakingOffBeforeItsContentLength_Answered502_ItsShareGivenBack()
    {
        var (backend, gateway) = await StartHostileAsync(new());
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/short", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await ProblemResponse.ReadAsync(response, Token)).Type.ShouldBe(Problem.Types.AggregatePartFailed);
        await Poll.UntilAsync(() => BudgetOf(gateway).InUse == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ChunkedPartThatNeverEnds_Answered504AtTheDeadline_ItsShareGivenBack()
    {
        var (backend, gateway) = await StartHostileAsync(new());
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/endless", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        (await ProblemResponse.ReadAsync(response, Token)).Type.ShouldBe(Problem.Types.AggregateDeadline);
        await Poll.UntilAsync(() => BudgetOf(gateway).InUse == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ClientGoingAwayMidBody_ItsShareGivenBack()
    {
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (backend, gateway) = await StartHostileAsync(hanging);
        await using var _ = backend;
        await using var __ = gateway;
        using var client = gateway.CreateClient();
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var call = client.GetAsync("/endless-long", leave.Token);
        await hanging.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await Poll.UntilAsync(() => BudgetOf(gateway).InUse > 0, TimeSpan.FromSeconds(10));
        await leave.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => call);
        await Poll.UntilAsync(() => BudgetOf(gateway).InUse == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task XmlBodyOverTheBudget_Answered503_NeverForwarded()
    {
        await using var backend = await TestBackend.StartAsync("xml");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            server:
              limits: { bufferedBodies: 1MiB }
            services:
              api: { urls: ["{{backend.Url}}"] }
            routes:
              - name: echo
                match: { path: /echo }
                service: api
                formats: [json, xml]
                xml: { maxBodySize: 4MiB }
            """);
        using var client = gateway.CreateClient();
        using var content = new StringContent("<a>" + new string('x', 2 * MiB) + "</a>", Encoding.UTF8, "application/xml");

        using var response = await client.PostAsync("/echo", content, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull();
        (await ProblemResponse.ReadAsync(response, Token)).Type.ShouldBe(Problem.Types.Overloaded);
        backend.Received.ShouldBeEmpty();
        await Poll.UntilAsync(() => BudgetOf(gateway).InUse == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task CachedResponseOverTheBudget_ServedWhole_NotStored()
    {
        await using var backend = await BigBackendAsync();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            server:
              limits: { bufferedBodies: 1MiB }
            services:
              big: { urls: ["{{backend.Url}}"] }
            cachePolicies:
              short: { ttl: 5m }
            routes:
              - { name: big, match: { path: /big }, service: big, cache: short }
            """);
        using var client = gateway.CreateClient();

        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync("/big", Token);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsByteArrayAsync(Token)).ShouldBe(BigPart);
        }

        // The copy for the cache did not fit: both requests reached the service.
        backend.Received.Count(r => r.PathAndQuery == "/big").ShouldBe(2);
        await Poll.UntilAsync(() => BudgetOf(gateway).InUse == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task LoginAnswerOverItsLimit_Answered502_NoSession()
    {
        await using var users = await TestBackend.StartAsync("users", app => app.MapPost("/auth/verify",
            () => Results.Text("{\"sub\":\"alice\",\"pad\":\"" + new string('x', 100 * 1024) + "\"}", "application/json")));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
            auth:
              session: { cookie: sid, login: { service: users, path: /auth/verify }, ttl: 8h, idle: 30m, secure: false }
            routes:
              - { name: me, match: { path: /me }, service: users, auth: [session] }
            """);
        using var client = gateway.CreateClient();

        using var response = await SessionLogins.LoginAsync(client);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await ProblemResponse.ReadAsync(response, Token)).Type.ShouldBe(Problem.Types.UpstreamError);
        response.Headers.Contains("Set-Cookie").ShouldBeFalse();
    }
}

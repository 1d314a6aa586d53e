using System.Collections.Concurrent;
using System.Net;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.Routing;

namespace Portico.IntegrationTests.Reload;

/// Reloads while clients keep sending: no request may fail or reach something other than a valid backend.
public sealed class ReloadUnderLoadTests
{
    [Fact]
    public async Task ReloadAsync_TwentyFourReloadsUnderEightClientLoops_NoRequestFails()
    {
        await using var blue = await TestBackend.StartAsync("blue");
        await using var green = await TestBackend.StartAsync("green");
        await using var monolith = await TestBackend.StartAsync("monolith");
        // Even reloads: weights 100/0, rewrite to /v1, service timeouts 5s; odd: 0/100, /v2, 6s. Changing a
        // service's definition replaces its runtime, so every reload also retires the previous runtimes.
        string Config(int generation) => $$"""
            gateways:
              default:
                listen: ["http://127.0.0.1:0"]
            services:
              blue: { urls: ["{{blue.Url}}"], timeout: {{5 + generation % 2}}s }
              green: { urls: ["{{green.Url}}"], timeout: {{5 + generation % 2}}s }
              monolith: { urls: ["{{monolith.Url}}"] }
            routes:
              - name: app
                match: { path: "/app/{**rest}" }
                split: { blue: {{(generation % 2 == 0 ? 100 : 0)}}, green: {{(generation % 2 == 0 ? 0 : 100)}} }
              - name: item
                match: { path: "/items/{id}" }
                service: blue
                rewrite: /v{{1 + generation % 2}}/items/{id}
              - name: legacy
                match: { path: "/{**rest}" }
                service: monolith
            """;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(0));
        var failures = new ConcurrentQueue<string>();
        var completed = 0;
        var target = int.MaxValue;
        var progressed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        using var firstRequests = new CountdownEvent(8);

        async Task ClientLoop(int id)
        {
            using var client = gateway.CreateClient();
            var signalled = false;
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var (url, valid) = (i++ % 3) switch
                {
                    0 => ($"/app/c{id}/{i}", new[] { "blue:", "green:" }),
                    1 => ($"/items/{i}", new[] { $"blue:/v1/items/{i}", $"blue:/v2/items/{i}" }),
                    _ => ($"/legacy/{id}/{i}?q={i}", new[] { $"monolith:/legacy/{id}/{i}" }),
                };
                try
                {
                    var reply = await BackendReply.GetAsync(client, url);
                    var seen = $"{reply.Backend}:{reply.Path}";
                    if (reply.Status != HttpStatusCode.OK || !valid.Any(v => seen.StartsWith(v, StringComparison.Ordinal)))
                        failures.Enqueue($"{url} → {(int)reply.Status} {reply.Body}");
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    failures.Enqueue($"{url} → {ex.GetType().Name}: {ex.Message}");
                }
                if (Interlocked.Increment(ref completed) >= Volatile.Read(ref target)) Volatile.Read(ref progressed).TrySetResult();
                if (!signalled)
                {
                    signalled = true;
                    firstRequests.Signal();
                }
            }
        }

        var loops = Enumerable.Range(0, 8).Select(id => Task.Run(() => ClientLoop(id), TestContext.Current.CancellationToken)).ToArray();
        firstRequests.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken).ShouldBeTrue();
        const int reloads = 24;
        for (var generation = 1; generation <= reloads; generation++)
        {
            await File.WriteAllTextAsync(gateway.ConfigPath, Config(generation), TestContext.Current.CancellationToken);
            var result = await gateway.Runtime.ReloadAsync();
            result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
            Volatile.Write(ref progressed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Volatile.Write(ref target, Volatile.Read(ref completed) + 100);
            // Let traffic run on each config before the next swap (bounded wait on progress, not on time).
            await Volatile.Read(ref progressed).Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        failures.ShouldBeEmpty();
        completed.ShouldBeGreaterThan(reloads * 100);
        green.Received.Count.ShouldBeGreaterThan(0);
        blue.Received.Count.ShouldBeGreaterThan(0);
    }
}

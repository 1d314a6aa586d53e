using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Reload;

/// A config rewritten in place (truncated, then written in several flushed chunks with pauses) is applied only
/// once complete: clients never see a half file's routes.
public sealed class InPlaceWriteReloadTests
{
    static string Config(TestBackend backend, int extraRoutes)
    {
        var yaml = new StringBuilder($$"""
            gateways:
              default:
                listen: ["http://127.0.0.1:0"]
            services:
              api: { urls: ["{{backend.Url}}"] }
            routes:

            """);
        // The route clients use comes last, so every proper prefix of the new file lacks it.
        for (var i = 0; i < extraRoutes; i++) yaml.Append("  - { name: extra").Append(i).Append(", match: { path: /extra/").Append(i).Append(" }, service: api }\n");
        yaml.Append("  - { name: main, match: { path: \"/main/{**rest}\" }, service: api }\n");
        return yaml.ToString();
    }

    [Theory]
    [InlineData(false, 400)]
    [InlineData(true, 900)]
    public async Task FileWatch_ConfigRewrittenInPlaceInChunks_NoRequestFailsAndTheWholeFileIsApplied(bool exclusive, int pauseMs)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, extraRoutes: 0), watch: true);
        var failures = new ConcurrentQueue<string>();
        var completed = 0;
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            using var client = gateway.CreateClient();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync($"/main/{completed}", CancellationToken.None);
                    if (response.StatusCode != HttpStatusCode.OK) failures.Enqueue($"{(int)response.StatusCode} at config version {gateway.Runtime.Current.Version}");
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }
                Interlocked.Increment(ref completed);
            }
        }, ct);

        // The slow in-place writer: truncate, then chunks at line boundaries, each flushed, with pauses longer
        // than the watcher's debounce. The exclusive one holds the file as .NET's FileShare.None does.
        var text = Encoding.UTF8.GetBytes(Config(backend, extraRoutes: 40));
        var chunk = text.Length / 4;
        await using (var file = new FileStream(gateway.ConfigPath, FileMode.Truncate, FileAccess.Write, exclusive ? FileShare.None : FileShare.ReadWrite))
        {
            var offset = 0;
            while (offset < text.Length)
            {
                var end = offset + chunk >= text.Length ? text.Length : Array.IndexOf(text, (byte)'\n', offset + chunk) + 1;
                await file.WriteAsync(text.AsMemory(offset, end - offset), ct);
                await file.FlushAsync(ct);
                offset = end;
                // The writer's own slowness (simulated), not synchronisation.
                if (offset < text.Length) await Task.Delay(pauseMs, ct);
            }
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (gateway.Runtime.Current.Config.Routes.Count != 41 && DateTime.UtcNow < deadline) await Task.Delay(20, ct);
        var seen = Volatile.Read(ref completed);
        while (Volatile.Read(ref completed) < seen + 20 && DateTime.UtcNow < deadline) await Task.Delay(20, ct);
        await stop.CancelAsync();
        await loop;

        gateway.Runtime.Current.Config.Routes.Count.ShouldBe(41);
        failures.ShouldBeEmpty();
        completed.ShouldBeGreaterThan(20);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portico.Auth;

namespace Portico.Bench;

/// How cost grows: routes in the config (matching), consumers/keys (lookup), body size (memory should stay flat:
/// bodies stream) and concurrent connections; plus start-to-ready and the reload of the largest route table.
sealed class Growth(BenchRun run)
{
    BenchOptions Options => run.Options;

    public async Task<GrowthResults> RunAsync(Target portico)
    {
        var results = new GrowthResults();
        var seconds = Options.Smoke ? 1 : 5;
        int[] routeSteps = Options.Smoke ? [10, 100] : [10, 100, 1_000, 10_000];
        int[] keySteps = Options.Smoke ? [10, 1_000] : [10, 1_000, 100_000, 1_000_000];
        int[] bodySteps = Options.Smoke ? [1024, 65_536] : [1024, 65_536, 1 << 20, 10 << 20];
        int[] connectionSteps = Options.Smoke ? [10, 100] : [10, 100, 1_000];

        foreach (var n in routeSteps)
        {
            var dir = Directory.CreateDirectory(Path.Combine(Options.RunDir, $"growth-routes-{n}")).FullName;
            var config = Path.Combine(dir, "portico.yaml");
            File.WriteAllText(config, RoutesConfig(n, extra: false));
            Log.Info($"growth: {n:N0} routes");
            var target = await run.StartPorticoAsync($"growth-routes-{n}", BenchRun.GrowthPort, config, null, $"/r{n - 1}/items/1");
            var process = run.ProcessFor(target);
            if (n == routeSteps[0]) results.StartToReady = run.ReadyTime(target);
            await Warm(target, $"/r{n - 1}/items/7", []);
            var sample = await run.MeasureAsync(new Scenario($"routes {n}", target, $"/r{n - 1}/items/7", [], "/hello", true), Options.Connections, seconds);
            results.Rows.Add(new("routes", n.ToString("N0", CultureInfo.InvariantCulture), sample));
            if (n == routeSteps[^1])
            {
                File.WriteAllText(config, RoutesConfig(n, extra: true));
                var started = DateTime.UtcNow;
                process.Signal("HUP");
                await PollAsync($"{target.BaseUrl}/reloaded/items/1", TimeSpan.FromSeconds(30));
                results.Reload = DateTime.UtcNow - started;
                results.ReloadRoutes = n + 1;
            }
            await process.DisposeAsync();
        }

        foreach (var n in keySteps)
        {
            var dir = Directory.CreateDirectory(Path.Combine(Options.RunDir, $"growth-keys-{n}")).FullName;
            var config = Path.Combine(dir, "portico.yaml");
            var key = WriteConsumers(Path.Combine(dir, AuthDefinitionConsumersFile), n);
            File.WriteAllText(config, KeysConfig());
            Log.Info($"growth: {n:N0} consumers with a key each");
            var target = await run.StartPorticoAsync($"growth-keys-{n}", BenchRun.GrowthPort, config, null, "/status");
            string[] headers = [$"X-Api-Key: {key}"];
            await Warm(target, "/apikey/hello", headers);
            var sample = await run.MeasureAsync(new Scenario($"keys {n}", target, "/apikey/hello", headers, "/hello", true), Options.Connections, seconds);
            results.Rows.Add(new("consumers/keys", n.ToString("N0", CultureInfo.InvariantCulture), sample));
            await run.ProcessFor(target).DisposeAsync();
        }

        foreach (var size in bodySteps)
        {
            Log.Info($"growth: {size:N0}-byte body");
            var path = $"/bytes/{size}";
            await Warm(portico, path, []);
            var sample = await run.MeasureAsync(new Scenario($"body {size}", portico, path, [], path, true), 10, seconds);
            results.Rows.Add(new("body (10 connections)", Size(size), sample));
        }

        foreach (var c in connectionSteps)
        {
            Log.Info($"growth: {c} connections");
            await Warm(portico, "/hello", [], c);
            var sample = await run.MeasureAsync(new Scenario($"connections {c}", portico, "/hello", [], "/hello", true), c, seconds);
            results.Rows.Add(new("connections", c.ToString(CultureInfo.InvariantCulture), sample));
        }
        return results;
    }

    const string AuthDefinitionConsumersFile = "portico-consumers.json";

    Task Warm(Target target, string path, IReadOnlyList<string> headers, int? connections = null) =>
        Options.Smoke ? Task.CompletedTask : Wrk.RunAsync(Options.WrkScript, target.BaseUrl + path, connections ?? Options.Connections, 3, headers, run.WrkLog);

    async Task PollAsync(string url, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await run.Http.GetAsync(url);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(5);
        }
        throw new BenchException($"{url} did not answer within {timeout.TotalSeconds}s after the reload");
    }

    static string Size(int bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

    static string RoutesConfig(int n, bool extra)
    {
        var yaml = new StringBuilder($$"""
            gateways:
              growth: { listen: ["http://127.0.0.1:{{BenchRun.GrowthPort}}"] }
            services:
              backend: { urls: ["http://127.0.0.1:{{BenchRun.BackendPort}}"], passiveHealth: off }
            routes:

            """);
        for (var i = 0; i < n; i++)
            yaml.Append($"  - {{ name: r{i}, match: {{ path: \"/r{i}/items/{{id}}\", methods: [GET] }}, service: backend, rewrite: /hello }}\n");
        if (extra) yaml.Append("  - { name: reloaded, match: { path: \"/reloaded/items/{id}\", methods: [GET] }, service: backend, rewrite: /hello }\n");
        return yaml.ToString();
    }

    static string KeysConfig() => $$"""
        gateways:
          growth: { listen: ["http://127.0.0.1:{{BenchRun.GrowthPort}}"] }
        services:
          backend: { urls: ["http://127.0.0.1:{{BenchRun.BackendPort}}"], passiveHealth: off }
        auth:
          apikey: { header: X-Api-Key }
        routes:
          - name: apikey
            match: { path: "/apikey/{**rest}", methods: [GET] }
            service: backend
            rewrite: "/{rest}"
            auth: [apikey]
          - name: status
            match: { path: /status }
            service: backend
            rewrite: /hello
            anonymous: true
        """;

    /// A consumers file with <paramref name="n"/> consumers, one key each; returns the last consumer's key.
    static string WriteConsumers(string path, int n)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteStartArray("consumers");
        var created = DateTimeOffset.UtcNow;
        string key = "";
        Span<byte> digest = stackalloc byte[32];
        for (var i = 0; i < n; i++)
        {
            key = ApiKeys.Derive($"growth-{i}");
            SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
            var hash = ApiKeys.HashPrefix + Convert.ToHexStringLower(digest);
            json.WriteStartObject();
            json.WriteString("id", $"consumer-{i}");
            json.WriteStartArray("scopes");
            json.WriteEndArray();
            json.WriteStartArray("keys");
            json.WriteStartObject();
            json.WriteString("id", ConsumerFile.KeyId(hash));
            json.WriteString("hash", hash);
            json.WriteString("created", created);
            json.WriteNull("expires");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        return key;
    }
}

/// The growth series' figures.
sealed class GrowthResults
{
    public sealed record Row(string Series, string Step, Sample Sample);

    public List<Row> Rows { get; } = [];
    public TimeSpan? StartToReady { get; set; }
    public TimeSpan? Reload { get; set; }
    public int ReloadRoutes { get; set; }

    public string Markdown()
    {
        var md = new StringBuilder("## Growth\n\n");
        md.AppendLine("One run per step (Portico only). Routes: the request matches the **last** route of the table. Keys: every consumer has one key; the request uses the last. Bodies: `/bytes/{n}` through the pure-proxy route, 10 connections; RSS after the run shows whether memory follows the body size (it should not: bodies stream).").AppendLine();
        md.AppendLine("| series | step | req/s | p99 ms | CPU µs/req | alloc B/req | RSS MiB |").AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Rows)
        {
            var s = r.Sample;
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Series} | {r.Step} | {s.Wrk.RequestsPerSecond:F0} | {s.Wrk.P99Us / 1000.0:F2} | {s.CpuUsPerRequest:F1} | {s.AllocBytesPerRequest:F0} | {(s.RssBytes ?? 0) / 1048576.0:F0} |"));
        }
        md.AppendLine();
        if (StartToReady is { } start) md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- Start to ready (10-route config, process start to first proxied answer): {start.TotalMilliseconds:F0} ms"));
        if (Reload is { } reload) md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- Reload of a {ReloadRoutes:N0}-route config (SIGHUP to the new route answering): {reload.TotalMilliseconds:F0} ms"));
        md.AppendLine();
        return md.ToString();
    }

    public void AppendTsv(StringBuilder tsv)
    {
        foreach (var r in Rows)
        {
            var s = r.Sample;
            tsv.AppendLine(string.Join('\t', $"growth {r.Series}", r.Step, 1, s.Wrk.Requests, s.Wrk.DurationUs, s.Wrk.RequestsPerSecond.ToString("F0", CultureInfo.InvariantCulture),
                s.Wrk.P50Us, s.Wrk.P99Us, s.Wrk.Errors, s.CpuUsPerRequest?.ToString("F2", CultureInfo.InvariantCulture) ?? "",
                s.AllocBytesPerRequest?.ToString("F0", CultureInfo.InvariantCulture) ?? "", s.RssBytes?.ToString(CultureInfo.InvariantCulture) ?? ""));
        }
    }
}

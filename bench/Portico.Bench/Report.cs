using System.Globalization;
using System.Text;

namespace Portico.Bench;

/// The run's report: medians per scenario with ratios to bare YARP, to direct and to Portico's pure-proxy route,
/// the goals with the measured ratio, the growth series, and any problem seen. Plus the raw samples as TSV.
sealed class Report(BenchOptions options, IReadOnlyList<Scenario> scenarios, Dictionary<string, List<Sample>> samples,
    GrowthResults? growth, IReadOnlyList<string> problems, Dictionary<string, string> meta)
{
    readonly Dictionary<string, Figures> _medians = scenarios.Where(s => samples.ContainsKey(s.Key)).ToDictionary(s => s.Key, s => Median(samples[s.Key]));

    public bool Complete => scenarios.All(s => _medians.ContainsKey(s.Key)) && (!options.Growth || growth is not null);

    static Figures Median(List<Sample> list) => new(
        Med(list.Select(s => s.Wrk.RequestsPerSecond)),
        Med(list.Select(s => s.Wrk.P50Us / 1000.0)),
        Med(list.Select(s => s.Wrk.P99Us / 1000.0)),
        list.All(s => s.CpuUsPerRequest is not null) ? Med(list.Select(s => s.CpuUsPerRequest!.Value)) : null,
        list.All(s => s.AllocBytesPerRequest is not null) ? Med(list.Select(s => s.AllocBytesPerRequest!.Value)) : null,
        list.All(s => s.RssBytes is not null) ? list.Max(s => s.RssBytes!.Value) / 1048576.0 : null,
        list.Sum(s => s.Wrk.Errors));

    internal static double Med(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    Figures? Find(string name, string path) => _medians.GetValueOrDefault($"{name} {path}");

    static string F(double? v, string format = "F1") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
    static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine($"# Portico benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        foreach (var (k, v) in meta) md.AppendLine($"- {k}: {v}");
        md.AppendLine().AppendLine("""
            Same backend (bench/Bench.Backend: `/hello` 100-byte JSON, `/big` 64 KiB JSON) behind every target; wrk with one
            thread from a separate process; the targets measured one after another, in a different order each round.
            Figures are medians over the rounds. **CPU µs/req** is the target process's CPU time (user + system, all
            threads, from /proc) over the run divided by the requests served; **alloc B/req** is the sum of the .NET runtime's
            GC AllocationTick events over EventPipe (for .NET targets) divided the same way; RSS is the largest seen after a
            run. Ratios: `× yarp` and `× direct` against the peer at the same body; `× proxy` against Portico's own
            pure-proxy route with the same body. The machine has 2 shared cores: compare within this run only.
            """).AppendLine();

        md.AppendLine("## Scenarios").AppendLine();
        md.AppendLine("| target / scenario | path | req/s | req/s × yarp | req/s × direct | p50 ms | p99 ms | CPU µs/req | CPU × yarp | CPU × proxy | alloc B/req | RSS MiB |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in scenarios)
        {
            if (!_medians.TryGetValue(s.Key, out var f)) continue;
            var yarp = Find("yarp", s.Baseline);
            var direct = Find("direct", s.Baseline);
            var proxy = s.IsPortico ? Find("portico", s.Baseline) : null;
            md.AppendLine($"| {s.Name} | `{s.Path}` | {F(f.RequestsPerSecond, "F0")} | {F(Ratio(f.RequestsPerSecond, yarp?.RequestsPerSecond), "F2")} | " +
                $"{F(Ratio(f.RequestsPerSecond, direct?.RequestsPerSecond), "F2")} | {F(f.P50Ms, "F2")} | {F(f.P99Ms, "F2")} | {F(f.CpuUsPerRequest)} | " +
                $"{F(Ratio(f.CpuUsPerRequest, yarp?.CpuUsPerRequest), "F2")} | {F(Ratio(f.CpuUsPerRequest, proxy?.CpuUsPerRequest), "F2")} | " +
                $"{F(f.AllocBytesPerRequest, "F0")} | {F(f.RssMiB, "F0")} |");
        }
        md.AppendLine();

        md.AppendLine("## Goals").AppendLine();
        md.AppendLine("| goal | measured | target | met |").AppendLine("|---|---:|---:|:-:|");
        foreach (var g in Goals()) md.AppendLine($"| {g.Name} | {g.Measured} | {g.Target} | {(g.Met is null ? "–" : g.Met.Value ? "yes" : "**no**")} |");
        md.AppendLine();

        if (growth is not null) md.Append(growth.Markdown());
        if (problems.Count > 0)
        {
            md.AppendLine("## Problems seen").AppendLine();
            foreach (var p in problems.Distinct()) md.AppendLine($"- {p}");
            md.AppendLine();
        }
        return md.ToString();
    }

    sealed record Goal(string Name, string Measured, string Target, bool? Met);

    IEnumerable<Goal> Goals()
    {
        Goal RatioGoal(string name, double? value, double limit, bool atMost = true) =>
            new(name, value is null ? "not measured" : $"{value:F2}×", (atMost ? "≤ " : "≥ ") + $"{limit:F2}×", value is null ? null : atMost ? value <= limit : value >= limit);
        double? Cpu(string n, string p) => Find(n, p)?.CpuUsPerRequest;
        double? Rps(string n, string p) => Find(n, p)?.RequestsPerSecond;

        foreach (var path in new[] { "/hello", "/big" })
        {
            yield return RatioGoal($"pure proxy `{path}`: CPU µs/req vs bare YARP", Ratio(Cpu("portico", path), Cpu("yarp", path)), 1.05);
            yield return RatioGoal($"pure proxy `{path}`: req/s vs bare YARP", Ratio(Rps("portico", path), Rps("yarp", path)), 0.95, atMost: false);
            yield return RatioGoal($"pure proxy `{path}`: req/s vs express-http-proxy", Ratio(Rps("portico", path), Rps("express-http-proxy", path)), 10, atMost: false);
            var alloc = Find("portico", path)?.AllocBytesPerRequest;
            var yarpAlloc = Find("yarp", path)?.AllocBytesPerRequest;
            yield return new Goal($"pure proxy `{path}`: allocated bytes/req ≤ bare YARP + 512", alloc is null || yarpAlloc is null ? "not measured" : $"{alloc:F0} vs {yarpAlloc:F0}",
                "≤ +512 B", alloc is null || yarpAlloc is null ? null : alloc <= yarpAlloc + 512);
        }
        yield return RatioGoal("full chain (jwt + rate limit): CPU vs bare YARP", Ratio(Cpu("portico chain (jwt + rate limit)", "/chain/hello"), Cpu("yarp", "/hello")), 1.3);
        yield return RatioGoal("full chain + telemetry (metrics, access log, tracing at 1.0): CPU vs bare YARP",
            Ratio(Cpu("portico chain + telemetry", "/chain/hello"), Cpu("yarp", "/hello")), 1.3);
        yield return RatioGoal("pure proxy, metrics on: CPU vs telemetry off", Ratio(Cpu("portico metrics", "/hello"), Cpu("portico", "/hello")), 1.10);
        yield return RatioGoal("API key: CPU vs Portico pure proxy", Ratio(Cpu("portico apikey", "/apikey/hello"), Cpu("portico", "/hello")), 1.15);
        yield return RatioGoal("JWT: CPU vs Portico pure proxy", Ratio(Cpu("portico jwt", "/jwt/hello"), Cpu("portico", "/hello")), 1.15);
        yield return RatioGoal("rate limit (memory): CPU vs Portico pure proxy", Ratio(Cpu("portico rate limit (memory)", "/limited/hello"), Cpu("portico", "/hello")), 1.1);
        yield return RatioGoal("rate limit (redis): CPU vs Portico pure proxy", Ratio(Cpu("portico rate limit (redis)", "/limited/hello"), Cpu("portico", "/hello")), 1.5);
        yield return RatioGoal("cache hit: CPU vs nginx proxying the same body", Ratio(Cpu("portico cache hit", "/cached/hello"), Cpu("nginx", "/hello")), 1.0);
        yield return RatioGoal("2-part aggregation: CPU vs one proxied call", Ratio(Cpu("portico aggregate (2 parts)", "/aggregate"), Cpu("portico", "/hello")), 2.2);
        yield return RatioGoal("JSON→XML on 64 KiB: CPU vs the plain body", Ratio(Cpu("portico json to xml", "/xml/big"), Cpu("portico", "/big")), 1.5);
        yield return RatioGoal("REST→gRPC unary: CPU vs Portico pure proxy", Ratio(Cpu("portico rest to grpc", "/grpc/items/sku-1"), Cpu("portico", "/hello")), 1.5);
        var rss = _medians.Where(m => m.Key.StartsWith("portico", StringComparison.Ordinal)).Select(m => m.Value.RssMiB).Max();
        yield return new Goal("Portico RSS under the benchmark", rss is null ? "not measured" : $"{rss:F0} MiB", "≤ 150 MiB", rss is null ? null : rss <= 150);
        if (growth is not null)
        {
            yield return new Goal("start to ready", growth.StartToReady is { } s ? $"{s.TotalMilliseconds:F0} ms" : "not measured", "≤ 1000 ms", growth.StartToReady is { } s2 ? s2.TotalMilliseconds <= 1000 : null);
            yield return new Goal($"reload of a {growth.ReloadRoutes:N0}-route config", growth.Reload is { } r ? $"{r.TotalMilliseconds:F0} ms" : "not measured", "≤ 1000 ms", growth.Reload is { } r2 ? r2.TotalMilliseconds <= 1000 : null);
        }
    }

    public string Tsv()
    {
        var tsv = new StringBuilder("scenario\tpath\tround\trequests\tduration_us\treq_per_s\tp50_us\tp99_us\terrors\tcpu_us_per_req\talloc_bytes_per_req\trss_bytes\n");
        foreach (var s in scenarios)
        {
            if (!samples.TryGetValue(s.Key, out var list)) continue;
            for (var i = 0; i < list.Count; i++)
            {
                var x = list[i];
                tsv.AppendLine(string.Join('\t', s.Name, s.Path, i + 1, x.Wrk.Requests, x.Wrk.DurationUs, F(x.Wrk.RequestsPerSecond, "F0"), x.Wrk.P50Us, x.Wrk.P99Us,
                    x.Wrk.Errors, F(x.CpuUsPerRequest, "F2"), F(x.AllocBytesPerRequest, "F0"), x.RssBytes?.ToString(CultureInfo.InvariantCulture) ?? ""));
            }
        }
        growth?.AppendTsv(tsv);
        return tsv.ToString();
    }
}

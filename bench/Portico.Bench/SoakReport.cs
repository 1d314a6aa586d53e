using System.Globalization;
using System.Text;

namespace Portico.Bench;

/// The soak's report: the verdict (0 errors, RSS growth after warm-up under 10 %), a table per interval (load,
/// latency, errors, RSS, CPU), the p99 drift from the first to the last intervals after warm-up, and an RSS plot.
sealed class SoakReport(SoakResults results)
{
    /// RSS may grow this much from the end of warm-up to the end of the run.
    public const double MaxRssGrowth = 0.10;

    readonly List<SoakInterval> _measured = [.. results.Intervals.Where(i => !i.WarmUp)];

    public long Errors => results.Intervals.Sum(i => i.Load.Errors);
    public long TooMany => results.Intervals.Sum(i => i.Load.TooMany);
    public double RssGrowth => _measured.Count == 0 ? 0 : (double)(_measured[^1].RssBytes - results.WarmUpEndRssBytes) / results.WarmUpEndRssBytes;
    public double PeakRssGrowth => _measured.Count == 0 ? 0 : (double)(_measured.Max(i => i.MaxRssBytes) - results.WarmUpEndRssBytes) / results.WarmUpEndRssBytes;
    public bool Passed => Errors == 0 && RssGrowth < MaxRssGrowth;

    /// p99 of the first and last (up to) five intervals after warm-up: the median of their per-interval p99s.
    public (double? First, double? Last) P99Drift()
    {
        var n = Math.Min(5, _measured.Count / 2);
        if (n == 0) return (null, null);
        static double? Median(IEnumerable<SoakInterval> xs)
        {
            var v = xs.Select(i => i.Load.LatencyMs(0.99)).Where(x => x is not null).Select(x => x!.Value).ToList();
            return v.Count == 0 ? null : Report.Med(v);
        }
        return (Median(_measured.Take(n)), Median(_measured.TakeLast(n)));
    }

    static string F(double? v, string format = "F1") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
    static double MiB(long bytes) => bytes / 1048576.0;

    public string Markdown()
    {
        var r = results;
        var md = new StringBuilder();
        md.AppendLine($"# Portico soak, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        foreach (var (k, v) in r.Meta) md.AppendLine($"- {k}: {v}");
        md.AppendLine($"- load: open loop at {r.Rate:F0} req/s = {r.Rate / r.MaxRequestsPerSecond:P0} of the {r.MaxRequestsPerSecond:F0} req/s the mix sustained (calibration below; a closed-loop probe completed {r.ClosedLoopRequestsPerSecond:F0} req/s with a queue in front); up to {r.Connections} connections; latency measured from each request's due time (no coordinated omission)");
        md.AppendLine($"- mix, in turn: {string.Join(", ", r.Mix.Select(m => $"{m.Name} `{m.Path}`"))}");
        md.AppendLine($"- time: {F(r.WarmUpSeconds, "F0")} s warm-up (excluded from the RSS growth and the drift) + {F(r.DurationSeconds, "F0")} s");
        md.AppendLine();

        var (first, last) = P99Drift();
        var verdict = !r.Judged ? "not judged (smoke run)" : Passed ? "**PASS**" : "**FAIL**";
        md.AppendLine($"## Verdict: {verdict}").AppendLine();
        md.AppendLine("| criterion | measured | pass when |");
        md.AppendLine("|---|---:|---|");
        md.AppendLine($"| errors (non-2xx but 429, socket errors, timeouts, requests not sent) | {Errors} | 0 |");
        md.AppendLine($"| RSS growth after warm-up (end of warm-up {F(MiB(r.WarmUpEndRssBytes))} MiB → end {F(_measured.Count > 0 ? MiB(_measured[^1].RssBytes) : null)} MiB) | {F(RssGrowth * 100)} % | < {MaxRssGrowth * 100:F0} % |");
        md.AppendLine($"| largest RSS after warm-up | {F(_measured.Count > 0 ? MiB(_measured.Max(i => i.MaxRssBytes)) : null)} MiB ({F(PeakRssGrowth * 100)} %) | (information) |");
        md.AppendLine($"| 429 Too Many Requests (limits are far above the load) | {TooMany} | (expected 0) |");
        md.AppendLine($"| p99 drift: first → last {Math.Min(5, _measured.Count / 2)} intervals after warm-up (median of their p99s) | {F(first, "F2")} → {F(last, "F2")} ms ({(first is > 0 && last is { } l ? F((l / first.Value - 1) * 100) + " %" : "–")}) | (information) |");
        var sent = r.Intervals.Sum(i => i.Load.Sent);
        var seconds = r.Intervals.Sum(i => i.Seconds);
        var cpu = r.Intervals.Sum(i => i.CpuSeconds);
        md.AppendLine($"| requests sent / completed | {sent} / {r.Intervals.Sum(i => i.Load.Completed)} | |");
        md.AppendLine($"| Portico CPU, whole run | {F(cpu / seconds * 100)} % of a core, {F(cpu * 1e6 / Math.Max(1, sent))} µs/request | |");
        md.AppendLine();

        md.AppendLine("## Calibration: the most the mix sustains").AppendLine();
        md.AppendLine($"Open loop, rising shares of the closed-loop probe; a step holds with every request sent and answered (2xx or 429) and p99 ≤ {F(r.P99BoundMs)} ms ({SoakRun.P99BoundFactor:F0} × the first step's p99, at least {SoakRun.P99BoundFloorMs:F0} ms). The sustained maximum is the highest step that held.").AppendLine();
        md.AppendLine("| offered req/s | share of closed loop | p50 ms | p99 ms | max ms | errors | held |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---|");
        foreach (var c in r.Calibration)
            md.AppendLine($"| {c.Rate:F0} | {c.Rate / r.ClosedLoopRequestsPerSecond:P0} | {F(c.Load.LatencyMs(0.5), "F2")} | {F(c.Load.LatencyMs(0.99), "F2")} | {F(c.Load.LatencyMs(1), "F1")} | {c.Load.Errors} | {(c.Held ? "yes" : "no")} |");
        md.AppendLine();

        md.AppendLine("## Per interval").AppendLine();
        md.AppendLine("| time | sent req/s | p50 ms | p99 ms | max ms | errors | 429 | RSS MiB (end) | RSS MiB (max) | CPU % of a core | CPU µs/req |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var i in r.Intervals)
        {
            md.AppendLine($"| {SoakRun.FormatTime(i.StartSeconds + i.Seconds)}{(i.WarmUp ? " (warm-up)" : "")} | {F(i.Load.Sent / i.Seconds, "F0")} | {F(i.Load.LatencyMs(0.5), "F2")} | {F(i.Load.LatencyMs(0.99), "F2")} | {F(i.Load.LatencyMs(1), "F1")} | {i.Load.Errors} | {i.Load.TooMany} | " +
                $"{F(MiB(i.RssBytes))} | {F(MiB(i.MaxRssBytes))} | {F(i.CpuSeconds / i.Seconds * 100, "F0")} | {F(i.CpuSeconds * 1e6 / Math.Max(1, i.Load.Sent))} |");
        }
        md.AppendLine();

        md.AppendLine("## RSS at the end of each interval").AppendLine().AppendLine("```");
        var low = r.Intervals.Min(i => i.RssBytes);
        var high = r.Intervals.Max(i => i.RssBytes);
        foreach (var i in r.Intervals)
        {
            var width = high == low ? 40 : 10 + (int)Math.Round(50.0 * (i.RssBytes - low) / (high - low));
            md.AppendLine($"{SoakRun.FormatTime(i.StartSeconds + i.Seconds)} {MiB(i.RssBytes),7:F1} MiB {new string('#', width)}{(i.WarmUp ? " warm-up" : "")}");
        }
        md.AppendLine("```").AppendLine($"(bars from {F(MiB(low))} MiB to {F(MiB(high))} MiB)").AppendLine();
        md.AppendLine("""
            The load generator runs in the benchmark driver on the same 2 shared cores as Portico and the backend; other
            builds on the machine during the run show up as latency spikes and CPU noise, not as errors or RSS.
            """);
        return md.ToString();
    }

    public string Tsv()
    {
        var tsv = new StringBuilder("interval\tend_s\twarmup\tsent\tok\tnon2xx\tsocket\ttimeout\tdropped\t429\tp50_ms\tp99_ms\tmax_ms\trss_bytes\tmax_rss_bytes\tcpu_s\n");
        foreach (var i in results.Intervals)
        {
            var l = i.Load;
            tsv.AppendLine(string.Join('\t', new object?[]
            {
                i.Index, i.StartSeconds + i.Seconds, i.WarmUp ? 1 : 0, l.Sent, l.Ok, l.Non2xx, l.SocketErrors, l.Timeouts, l.Dropped, l.TooMany,
                F(l.LatencyMs(0.5), "F3"), F(l.LatencyMs(0.99), "F3"), F(l.LatencyMs(1), "F3"), i.RssBytes, i.MaxRssBytes, F(i.CpuSeconds, "F2"),
            }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        }
        return tsv.ToString();
    }
}

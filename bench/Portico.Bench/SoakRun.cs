using System.Diagnostics;
using System.Globalization;

namespace Portico.Bench;

/// One interval of the soak: its load figures and the target's memory and CPU at its end.
sealed record SoakInterval(int Index, double StartSeconds, double Seconds, bool WarmUp, IntervalStats Load, long RssBytes, long MaxRssBytes, double CpuSeconds);

/// The outcome of a soak run, for its report.
sealed record SoakResults(
    double MaxRequestsPerSecond, double Rate, double WarmUpSeconds, double DurationSeconds, int Connections, IReadOnlyList<MixRequest> Mix,
    IReadOnlyList<SoakInterval> Intervals, long WarmUpEndRssBytes, bool Judged, Dictionary<string, string> Meta);

/// The soak: a mix of Portico's feature routes (API key, JWT + rate limit, rate limit, cache hit, aggregation) held at
/// a fixed share of the most the target served in a short closed-loop probe, for a long time, watching errors, memory,
/// latency and CPU per interval. Open loop, so latencies are honest when the target stalls (see LoadGenerator).
sealed class SoakRun(BenchRun bench, Target portico)
{
    public async Task<SoakResults> RunAsync(double durationSeconds, double warmUpSeconds, double probeSeconds, bool judged)
    {
        var options = bench.Options;
        var credentials = bench.Credentials;
        IReadOnlyList<MixRequest> mix =
        [
            new("API key", "/apikey/hello", [("X-Api-Key", credentials.ApiKey)]),
            new("JWT + rate limit (per consumer)", "/chain/hello", [("Authorization", "Bearer " + credentials.Jwt)]),
            new("rate limit (per IP)", "/limited/hello", []),
            new("cache hit", "/cached/hello", []),
            new("aggregate (2 parts)", "/aggregate", []),
        ];
        using var load = new LoadGenerator(portico.BaseUrl, mix, options.Connections, TimeSpan.FromSeconds(5));

        // The JIT and the pools settle under load before the probe counts.
        Log.Info($"soak: probing the mix's maximum (closed loop, {options.Connections} workers, {probeSeconds}s after {probeSeconds / 2}s warm-up)");
        await load.RunClosedAsync(options.Connections, TimeSpan.FromSeconds(probeSeconds / 2));
        var max = await load.RunClosedAsync(options.Connections, TimeSpan.FromSeconds(probeSeconds));
        var share = options.Share;
        var rate = Math.Max(1, Math.Round(max * share));
        Log.Info($"soak: maximum {max:F0} req/s; holding {rate:F0} req/s ({share:P0}) for {warmUpSeconds}s warm-up + {durationSeconds}s");

        // Minutes for a real soak; shorter runs (smoke) are cut into about ten intervals.
        var total = warmUpSeconds + durationSeconds;
        var length = total >= 600 ? 60 : Math.Max(1, Math.Round(total / 10));
        var count = (int)Math.Ceiling(total / length);
        var stats = Enumerable.Range(0, count).Select(_ => new IntervalStats()).ToArray();
        IntervalStats IntervalOf(double seconds) => stats[Math.Min(count - 1, (int)(seconds / length))];

        var pids = portico.Pids();
        var intervals = new List<SoakInterval>();
        long warmUpEndRss = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            // RSS every second: each interval reports its last and its largest; CPU from /proc at each interval's end.
            var clock = Stopwatch.StartNew();
            var cpuBefore = ProcStat.CpuTicks(pids);
            long maxRss = 0;
            for (var i = 0; i < count; i++)
            {
                var end = Math.Min(total, (i + 1) * length);
                while (clock.Elapsed.TotalSeconds < end && !stop.IsCancellationRequested)
                {
                    maxRss = Math.Max(maxRss, ProcStat.RssBytes(pids));
                    var wait = Math.Min(1.0, end - clock.Elapsed.TotalSeconds);
                    if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), CancellationToken.None);
                }
                var rss = ProcStat.RssBytes(pids);
                var cpu = ProcStat.CpuTicks(pids);
                var start = i * length;
                lock (intervals) intervals.Add(new SoakInterval(i + 1, start, end - start, end <= warmUpSeconds, stats[i], rss, Math.Max(maxRss, rss), (cpu - cpuBefore) / (double)ProcStat.TicksPerSecond));
                if (end <= warmUpSeconds) warmUpEndRss = rss;
                Log.Info($"soak: {FormatTime(end)} {stats[i].Sent / (end - start),7:F0} req/s sent  p99 {stats[i].LatencyMs(0.99) ?? 0,7:F2} ms  errors {stats[i].Errors}  429 {stats[i].TooMany}  RSS {rss / 1048576.0:F1} MiB" + (end <= warmUpSeconds ? "  (warm-up)" : ""));
                cpuBefore = cpu;
                maxRss = 0;
            }
        });
        await load.RunOpenAsync(rate, TimeSpan.FromSeconds(total), IntervalOf, stop.Token);
        await sampler;
        if (warmUpEndRss == 0) warmUpEndRss = intervals[0].RssBytes;
        return new SoakResults(max, rate, warmUpSeconds, durationSeconds, options.Connections, mix, intervals, warmUpEndRss, judged, bench.SoakMeta());
    }

    public static string FormatTime(double seconds) => TimeSpan.FromSeconds(seconds).ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}

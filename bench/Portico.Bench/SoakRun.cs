using System.Diagnostics;
using System.Globalization;

namespace Portico.Bench;

/// One interval of the soak: its load figures and the target's memory and CPU at its end.
sealed record SoakInterval(int Index, double StartSeconds, double Seconds, bool WarmUp, IntervalStats Load, long RssBytes, long MaxRssBytes, double CpuSeconds);

/// One step of the open-loop calibration: the rate offered and how the target held it.
sealed record CalibrationStep(double Rate, IntervalStats Load, bool Held);

/// The outcome of a soak run, for its report.
sealed record SoakResults(
    double ClosedLoopRequestsPerSecond, double MaxRequestsPerSecond, double P99BoundMs, IReadOnlyList<CalibrationStep> Calibration, double Rate, double WarmUpSeconds, double DurationSeconds, int Connections, IReadOnlyList<MixRequest> Mix,
    IReadOnlyList<SoakInterval> Intervals, long WarmUpEndRssBytes, bool Judged, Dictionary<string, string> Meta);

/// The soak: a mix of Portico's feature routes (API key, JWT + rate limit, rate limit, cache hit, aggregation) held at
/// a fixed share of the most the target sustains, for a long time, watching errors, memory, latency and CPU per
/// interval. Open loop, so latencies are honest when the target stalls (see LoadGenerator).
///
/// "The most it sustains" is found in two steps. A closed-loop probe finds the most the mix completes per second with
/// every worker busy; that rate is reached only with a queue in front of the target, so it is not a rate anyone can
/// offer for long. Open-loop steps from half of it upwards then find the highest offered rate the target holds: every
/// request sent and answered 2xx/429, and p99 within <see cref="P99BoundFactor"/> × the first step's p99 (at least
/// <see cref="P99BoundFloorMs"/>). Past that rate the queue grows for as long as the load lasts.
sealed class SoakRun(BenchRun bench, Target portico)
{
    /// A step holds while its p99 stays within this multiple of the first (half-load) step's p99 ...
    public const double P99BoundFactor = 5;

    /// ... or this many milliseconds, whichever is larger (at half load on loopback p99 is a few ms).
    public const double P99BoundFloorMs = 25;

    /// The open-loop steps, as shares of the closed-loop probe.
    static readonly double[] StepShares = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0];

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
        var closed = await load.RunClosedAsync(options.Connections, TimeSpan.FromSeconds(probeSeconds));
        Log.Info($"soak: closed loop completed {closed:F0} req/s; stepping the open-loop rate up from {StepShares[0]:P0} of it ({probeSeconds / 2}s a step)");
        var (max, bound, steps) = await CalibrateAsync(load, closed, TimeSpan.FromSeconds(probeSeconds / 2));
        var share = options.Share;
        var rate = Math.Max(1, Math.Round(max * share));
        Log.Info($"soak: sustained maximum {max:F0} req/s; holding {rate:F0} req/s ({share:P0}) for {warmUpSeconds}s warm-up + {durationSeconds}s");

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
        return new SoakResults(closed, max, bound, steps, rate, warmUpSeconds, durationSeconds, options.Connections, mix, intervals, warmUpEndRss, judged, bench.SoakMeta());
    }

    /// Offers the mix at rising shares of <paramref name="closed"/>, each for <paramref name="step"/>, until a step does
    /// not hold; the highest rate that held (or the first step's, if none did), the p99 bound and the steps.
    static async Task<(double Max, double BoundMs, List<CalibrationStep> Steps)> CalibrateAsync(LoadGenerator load, double closed, TimeSpan step)
    {
        var steps = new List<CalibrationStep>();
        double? bound = null;
        foreach (var share in StepShares)
        {
            var rate = Math.Max(1, Math.Round(closed * share));
            var stats = new IntervalStats();
            await load.RunOpenAsync(rate, step, _ => stats, CancellationToken.None);
            var p99 = stats.LatencyMs(0.99) ?? double.PositiveInfinity;
            bound ??= Math.Max(P99BoundFloorMs, P99BoundFactor * p99);
            var held = stats.Errors == 0 && p99 <= bound;
            steps.Add(new CalibrationStep(rate, stats, held));
            Log.Info($"soak: calibration {rate,7:F0} req/s ({share:P0})  p99 {p99,8:F2} ms  errors {stats.Errors}  {(held ? "held" : "not held")}");
            if (!held) break;
        }
        var max = steps.LastOrDefault(s => s.Held)?.Rate ?? steps[0].Rate;
        return (max, bound ?? P99BoundFloorMs, steps);
    }

    public static string FormatTime(double seconds) => TimeSpan.FromSeconds(seconds).ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}

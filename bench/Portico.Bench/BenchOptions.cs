using System.Globalization;

namespace Portico.Bench;

/// Command-line options. `--smoke` is the CI mode: every target and scenario once, for a second, growth at its
/// two smallest steps, and the soak for a few seconds; it proves the benchmark runs and writes a report, and measures
/// nothing worth quoting. `--soak` runs the soak instead of the comparison: `--duration` (default 30m) after
/// `--warmup` (default 120 s), at `--share` (default 0.8) of the sustained maximum (see SoakRun). `--baseline-out`
/// (set by run.sh --baseline REV) adds Portico published from another revision as target `portico-base`.
sealed record BenchOptions(
    string Root, string Out, string Results, double Duration, int Rounds, double Warmup, int Connections,
    bool Smoke, bool Growth, IReadOnlyList<string> Only, bool Soak = false, double Share = 0.8, string? BaselineOut = null, string? BaselineRevision = null)
{
    public static BenchOptions Parse(string[] args)
    {
        var root = Directory.GetCurrentDirectory();
        string? outDir = null, results = null;
        double? duration = null, warmup = null;
        var share = 0.8;
        string? baselineOut = null, baselineRevision = null;
        int rounds = 3, connections = 50;
        bool smoke = false, growth = true, soak = false;
        var only = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--root": root = Path.GetFullPath(Next()); break;
                case "--out": outDir = Path.GetFullPath(Next()); break;
                case "--results": results = Path.GetFullPath(Next()); break;
                case "--duration": duration = Seconds(Next()); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = Seconds(Next()); break;
                case "--connections": connections = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--smoke": smoke = true; break;
                case "--soak": soak = true; break;
                case "--share": share = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--baseline-out": baselineOut = Path.GetFullPath(Next()); break;
                case "--baseline-revision": baselineRevision = Next(); break;
                case "--no-growth": growth = false; break;
                case "--only": only.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (share is <= 0 or > 1) throw new ArgumentException("--share is a fraction of the sustained maximum, above 0 and at most 1 (e.g. 0.8)");
        if (smoke) (duration, rounds, warmup) = (1, 1, 0);
        duration ??= soak ? 30 * 60 : 10;
        warmup ??= soak ? 120 : 8;
        return new BenchOptions(root, outDir ?? Path.Combine(root, "bench", ".out"), results ?? Path.Combine(root, "bench", "results"),
            duration.Value, rounds, warmup.Value, connections, smoke, growth, only, soak, share, baselineOut, baselineRevision);
    }

    /// "90", "90s", "30m" or "1h" as seconds.
    static double Seconds(string text)
    {
        var unit = text.Length > 0 ? text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 } : 0;
        var number = double.Parse(unit == 0 ? text : text[..^1], CultureInfo.InvariantCulture);
        return number * (unit == 0 ? 1 : unit);
    }

    public string RunDir => Path.Combine(Root, "bench", ".run");
    public string WrkScript => Path.Combine(Root, "bench", "wrk", "summary.lua");
    public string Config => Path.Combine(Root, "bench", "portico.bench.yaml");
}

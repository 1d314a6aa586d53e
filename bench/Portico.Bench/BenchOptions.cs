using System.Globalization;

namespace Portico.Bench;

/// Command-line options. `--smoke` is the CI mode: every target and scenario once, for a second, growth at its
/// two smallest steps; it proves the benchmark runs and writes a report, and measures nothing worth quoting.
sealed record BenchOptions(
    string Root, string Out, string Results, double Duration, int Rounds, double Warmup, int Connections,
    bool Smoke, bool Growth, IReadOnlyList<string> Only)
{
    public static BenchOptions Parse(string[] args)
    {
        var root = Directory.GetCurrentDirectory();
        string? outDir = null, results = null;
        double duration = 10, warmup = 8;
        int rounds = 3, connections = 50;
        bool smoke = false, growth = true;
        var only = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--root": root = Path.GetFullPath(Next()); break;
                case "--out": outDir = Path.GetFullPath(Next()); break;
                case "--results": results = Path.GetFullPath(Next()); break;
                case "--duration": duration = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--connections": connections = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--smoke": smoke = true; break;
                case "--no-growth": growth = false; break;
                case "--only": only.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (smoke) (duration, rounds, warmup) = (1, 1, 0);
        return new BenchOptions(root, outDir ?? Path.Combine(root, "bench", ".out"), results ?? Path.Combine(root, "bench", "results"),
            duration, rounds, warmup, connections, smoke, growth, only);
    }

    public string RunDir => Path.Combine(Root, "bench", ".run");
    public string WrkScript => Path.Combine(Root, "bench", "wrk", "summary.lua");
    public string Config => Path.Combine(Root, "bench", "portico.bench.yaml");
}

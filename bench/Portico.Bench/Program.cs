// Portico's benchmark: the same backend behind direct access, bare YARP, nginx, HAProxy, express-http-proxy and
// Portico (one route per scenario), loaded with wrk over interleaved rounds; then growth runs. Writes
// bench/results/<stamp>.md and .tsv. Started by bench/run.sh, which installs and builds what it needs.
using Portico.Bench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"portico-bench: {e.Message}");
    Console.Error.WriteLine("usage: Portico.Bench [--smoke] [--duration s] [--rounds n] [--warmup s] [--connections n] [--no-growth] [--only a,b] [--root dir] [--out dir] [--results dir]");
    return 2;
}

await using var bench = new BenchRun(options);
try
{
    return await bench.RunAsync();
}
catch (BenchException e)
{
    Console.Error.WriteLine($"portico-bench: {e.Message}");
    return 1;
}

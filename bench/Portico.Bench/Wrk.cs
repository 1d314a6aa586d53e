using System.Diagnostics;
using System.Globalization;

namespace Portico.Bench;

/// One wrk run's figures (latencies in microseconds).
sealed record WrkResult(long Requests, long DurationUs, long Bytes, long P50Us, long P99Us, long MaxUs, long Errors)
{
    public double RequestsPerSecond => Requests / (DurationUs / 1e6);
}

/// Runs wrk (a separate process, one thread) and parses the line bench/wrk/summary.lua prints.
static class Wrk
{
    public static async Task<WrkResult> RunAsync(string script, string url, int connections, double seconds, IReadOnlyList<string> headers, string logPath)
    {
        var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-t1", $"-c{connections}", $"-d{Math.Max(1, (int)Math.Round(seconds)).ToString(CultureInfo.InvariantCulture)}s", "--timeout", "5s", "-s", script })
            info.ArgumentList.Add(a);
        foreach (var h in headers) { info.ArgumentList.Add("-H"); info.ArgumentList.Add(h); }
        info.ArgumentList.Add(url);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout + await stderr;
        await File.AppendAllTextAsync(logPath, $"== {url} c={connections} d={seconds}s\n{output}\n");
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("BENCH ", StringComparison.Ordinal))
            ?? throw new BenchException($"wrk printed no result for {url}:\n{output}");
        var kv = line[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        return new WrkResult(kv["requests"], kv["duration_us"], kv["bytes"], kv["p50_us"], kv["p99_us"], kv["max_us"],
            kv["connect"] + kv["read"] + kv["write"] + kv["status"] + kv["timeout"]);
    }
}

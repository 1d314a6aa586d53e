namespace Portico.Bench;

/// Something wrk loads: a peer proxy, the backend itself (direct) or a Portico process. <see cref="Pids"/> are the
/// processes whose CPU counts as the target's (none for direct: its cost is the backend's, the baseline of all).
sealed record Target(string Name, string BaseUrl, Func<IReadOnlyList<int>> Pids, bool IsDotNet, string Description);

/// One row of the report: a target loaded at one path with some headers. <see cref="Baseline"/> is the peers'
/// path it compares with (the same response body); Portico rows also compare with Portico's pure-proxy row at that path.
sealed record Scenario(string Name, Target Target, string Path, IReadOnlyList<string> Headers, string Baseline, bool IsPortico, Func<HttpResponseMessage, string, string?>? Check = null)
{
    public string Key => $"{Name} {Path}";
}

/// The medians of a scenario's rounds.
sealed record Figures(double RequestsPerSecond, double P50Ms, double P99Ms, double? CpuUsPerRequest, double? AllocBytesPerRequest, double? RssMiB, long Errors);

namespace Portico.Telemetry;

/// <summary>
/// One access log line, taken from the request when it ends and written by <see cref="AccessLogWriter"/> off the
/// request path. The fields and their JSON names are the schema in docs/observability.md ("Access log").
/// </summary>
internal sealed class AccessLogEntry
{
    public DateTimeOffset Timestamp { get; init; }
    public string? Gateway { get; init; }
    public string? Route { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }
    public int Status { get; init; }
    public double DurationMs { get; init; }
    public string? Service { get; init; }
    public string? Destination { get; init; }
    public int? UpstreamStatus { get; init; }
    public long BytesIn { get; init; }
    public long BytesOut { get; init; }
    public string? ClientAddress { get; init; }
    public string? ConsumerId { get; init; }
    public string? AuthScheme { get; init; }
    public string? TraceId { get; init; }
    public string? RequestId { get; init; }
    public string? Cache { get; init; }
    public string? RateLimit { get; init; }
    public string? ErrorType { get; init; }
}

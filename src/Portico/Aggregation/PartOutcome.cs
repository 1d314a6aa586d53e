using System.Text.Json.Nodes;

namespace Portico.Aggregation;

/// What one part produced: its JSON result, or why it is missing. Reasons are shown to clients, so they name
/// services and statuses, never addresses.
internal sealed record PartOutcome(bool Succeeded, JsonNode? Value, string? Reason, bool HitDeadline)
{
    public static PartOutcome Success(JsonNode? value) => new(true, value, null, false);
    public static PartOutcome Failure(string reason, bool hitDeadline = false) => new(false, null, reason, hitDeadline);
}

/// One HTTP call of a part: the parsed body of a 2xx answer, or the reason it failed; <paramref name="OverBudget"/> when
/// the process had no room to buffer the answer (the aggregate is then answered 503).
internal sealed record CallResult(JsonNode? Value, string? CacheControl, string? Error, bool OverBudget = false)
{
    public bool Succeeded => Error is null;

    /// Bytes of the answer's body.
    public long Bytes { get; init; }
}

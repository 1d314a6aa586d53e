using Portico.Configuration;

namespace Portico.Aggregation;

/// How an aggregate route places its parts in the answer: each under its name, or fields merged into one object.
internal enum AggregateShape { Nested, Merged }

/// An aggregate route: named calls to services whose results make one JSON document.
internal sealed record AggregateDefinition(IReadOnlyList<AggregatePartDefinition> Parts, AggregateShape Shape, TimeSpan? Deadline, long MaxResponseSize) : RouteKindSection
{
    public const long DefaultMaxResponseSize = 4 * 1024 * 1024;

    public override string Kind => AggregateKind.Name;

    /// The parts' plan, compiled once when the config is validated; null before.
    public AggregationPlan? Plan { get; init; }

    public override string Describe(RouteDefinition route) =>
        "aggregate " + string.Join(", ", Parts.Select(p => $"{p.Name}: {p.Service}{(p.Optional ? "?" : "")}"));
}

/// One part of an aggregate route: a call to a service. Path, query and header values are templates over route
/// values (`{id}`), earlier parts' results (`{user.creditAccount}`) and, with <see cref="ForEach"/>, the current element (`{item.id}`).
internal sealed record AggregatePartDefinition(
    string Name,
    string Service,
    string Method,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool Body,
    bool Optional,
    TimeSpan? Timeout,
    string? ForEach,
    int Concurrency,
    int MaxItems,
    IReadOnlyList<string> Select,
    IReadOnlyList<KeyValuePair<string, string>> Rename)
{
    public const int DefaultConcurrency = 4;
    public const int DefaultMaxItems = 100;
}

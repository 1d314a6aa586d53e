namespace Portico.Configuration;

/// Counts, within a scope (an async flow), how often each kind of plan is compiled: path templates, aggregation
/// plans, GraphQL operations, gRPC bindings. A config load compiles each once; tests hold it to that.
internal static class PlanCompilations
{
    static readonly AsyncLocal<Dictionary<string, int>?> Scope = new();

    /// Starts counting in the current async flow; the counts, by plan name.
    public static IReadOnlyDictionary<string, int> Track()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        Scope.Value = counts;
        return counts;
    }

    /// One compilation of a <paramref name="plan"/>; nothing when nobody counts.
    public static void Note(string plan)
    {
        if (Scope.Value is not { } counts) return;
        lock (counts) counts[plan] = counts.GetValueOrDefault(plan) + 1;
    }
}

namespace Portico.Configuration;

public static partial class ConfigBinder
{
    static readonly Dictionary<string, AggregateShape> AggregateShapes = new(StringComparer.Ordinal)
    {
        ["nested"] = AggregateShape.Nested,
        ["merged"] = AggregateShape.Merged,
    };

    /// The `aggregate` section of a route, or null when the route has none.
    static AggregateDefinition? BindAggregate(MappingReader route, List<ConfigError> errors)
    {
        var node = route.Node("aggregate");
        if (node is null) return null;
        var a = new MappingReader(node, errors, "an aggregate");
        if (!a.Exists) return null;
        var parts = new List<AggregatePartDefinition>();
        if (!a.Has("parts")) a.Missing("parts", "name the calls, e.g. parts: { user: { service: users, path: \"/users/{id}\" } }");
        foreach (var (key, value) in a.Entries("parts"))
        {
            var p = new MappingReader(value, errors, $"aggregate part '{key.Value}'");
            if (!p.Exists) continue;
            var service = p.String("service", required: true, hint: "the service this part calls, e.g. service: users");
            var path = p.String("path", required: true, hint: "the path to call, e.g. path: \"/users/{id}\"");
            parts.Add(new AggregatePartDefinition(
                key.Value!,
                service ?? "",
                (p.String("method") ?? "GET").ToUpperInvariant(),
                path ?? "/",
                Pairs(p, "query"),
                Pairs(p, "headers"),
                p.Bool("body") ?? false,
                p.Bool("optional") ?? false,
                p.Duration("timeout"),
                p.String("forEach"),
                p.Int("concurrency", 1, 1000) ?? AggregatePartDefinition.DefaultConcurrency,
                p.Int("maxItems", 1, 100_000) ?? AggregatePartDefinition.DefaultMaxItems,
                p.StringList("select"),
                Pairs(p, "rename")));
            p.Done();
        }
        var result = new AggregateDefinition(parts, a.Enum("shape", AggregateShapes) ?? AggregateShape.Nested, a.Duration("deadline"),
            a.Size("maxResponseSize") ?? AggregateDefinition.DefaultMaxResponseSize);
        a.Done();
        return result;

        static List<KeyValuePair<string, string>> Pairs(MappingReader r, string key) =>
            r.Entries(key).Select(e => new KeyValuePair<string, string>(e.Key.Value!, (e.Value as ConfigScalar)?.Value ?? "")).ToList();
    }
}

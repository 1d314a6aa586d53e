using System.Text.RegularExpressions;
using Portico.Configuration;

namespace Portico.Aggregation;

/// One part of a compiled plan: its templates with references resolved to route values or part indexes, and the
/// parts it waits for.
internal sealed record PlanPart(
    AggregatePartDefinition Definition,
    int Index,
    ValueTemplate Path,
    IReadOnlyList<(string Name, ValueTemplate Value)> Query,
    IReadOnlyList<(string Name, ValueTemplate Value)> Headers,
    IReadOnlyList<int> Dependencies,
    ValueReference? ForEach,
    IReadOnlySet<string>? Select,
    IReadOnlyDictionary<string, string> Rename)
{
    public string Name => Definition.Name;
}

/// An aggregate route's parts as a dependency graph, checked and ordered once at config load: unknown references
/// and cycles are config errors; <see cref="Stages"/> lists parts that can run together, earliest first.
internal sealed partial class AggregationPlan
{
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex PartNameRegex();

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex TokenRegex();

    AggregationPlan(AggregateDefinition definition, PlanPart[] parts, IReadOnlyList<IReadOnlyList<PlanPart>> stages)
    {
        Definition = definition;
        Parts = parts;
        Stages = stages;
    }

    public AggregateDefinition Definition { get; }

    /// Parts in config order (which is also the order of members in the answer).
    public IReadOnlyList<PlanPart> Parts { get; }

    /// Parts grouped by depth in the dependency graph: a stage's parts depend only on earlier stages.
    public IReadOnlyList<IReadOnlyList<PlanPart>> Stages { get; }

    /// Compiles the plan; reports each problem through <paramref name="error"/> (config path, message, hint) and
    /// returns null when there was any.
    public static AggregationPlan? Compile(AggregateDefinition definition, string configPath, IReadOnlySet<string> routeValues, Action<string, string, string?> error)
    {
        PlanCompilations.Note("aggregation");
        var failed = false;
        void Fail(string path, string message, string? hint = null)
        {
            failed = true;
            error(path, message, hint);
        }

        var partsPath = $"{configPath}.aggregate.parts";
        if (definition.Parts.Count == 0) Fail(partsPath, "the aggregate has no parts", "add at least one, e.g. user: { service: users, path: \"/users/{id}\" }");
        var names = definition.Parts.Select(p => p.Name).ToList();
        var index = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        var parts = new PlanPart[definition.Parts.Count];
        for (var i = 0; i < definition.Parts.Count; i++)
        {
            var d = definition.Parts[i];
            var pp = $"{partsPath}.{d.Name}";
            if (!PartNameRegex().IsMatch(d.Name) || d.Name is "item" or "query" or "header")
                Fail(pp, $"'{d.Name}' is not a valid part name", "start with a letter; use letters, digits, '_' and '-'; 'item', 'query' and 'header' are reserved for fan-out elements and client input");
            else if (routeValues.Contains(d.Name))
                Fail(pp, $"part '{d.Name}' has the name of a route value", "rename the part: {" + d.Name + "} would be ambiguous");
            if (!TokenRegex().IsMatch(d.Method)) Fail($"{pp}.method", $"'{d.Method}' is not an HTTP method", "e.g. GET, POST");
            if (!d.Path.StartsWith('/')) Fail($"{pp}.path", $"'{d.Path}' must start with '/'", "e.g. path: \"/users/{id}\"");
            foreach (var (name, _) in d.Headers.Where(h => !TokenRegex().IsMatch(h.Key)))
                Fail($"{pp}.headers.{name}", $"'{name}' is not a valid header name");
            foreach (var (name, value) in d.Headers)
            {
                if (Http.HeaderValue.Flaw(value) is { } flaw)
                    Fail($"{pp}.headers.{name}", $"the value holds {flaw}", "header values are visible ASCII, spaces and tabs; percent-encode anything else");
            }

            var dependencies = new SortedSet<int>();
            ValueReference? forEach = null;
            if (d.ForEach is { } fe)
            {
                var tokens = fe.Split('.');
                if (tokens.Any(t => t.Length == 0) || !index.TryGetValue(tokens[0], out var source) || source == i)
                    Fail($"{pp}.forEach", $"'{fe}' does not name an earlier part's array",
                        (index.ContainsKey(tokens[0]) ? null : Suggest.DidYouMean(tokens[0], names.Where(n => n != d.Name))) ?? "write part.field, e.g. forEach: user.orders");
                else
                {
                    forEach = new ValueReference(fe, ReferenceSource.Part, tokens[0], source, tokens[1..]);
                    dependencies.Add(source);
                }
            }

            ValueTemplate? Template(string text, string at, bool clientInput)
            {
                var tokens = ValueTemplate.Tokenize(text, out var tokenError);
                if (tokens is null)
                {
                    Fail(at, $"'{text}': {tokenError}", "write values as {routeValue}, {part.field}, {item.field}, {query.name} or {header.Name}");
                    return null;
                }
                var segments = new List<object>();
                foreach (var (literal, reference) in tokens)
                {
                    if (literal is not null)
                    {
                        segments.Add(literal);
                        continue;
                    }
                    var head = reference![0];
                    var text2 = string.Join('.', reference);
                    if (head is "query" or "header" && reference.Length > 1)
                    {
                        var name = string.Join('.', reference[1..]);
                        if (!clientInput)
                            Fail(at, $"'{{{text2}}}' is client input, which a path cannot use", "put it in the part's query or headers (left out when the client sends none), or capture it as a route value");
                        else if (head == "header" && !TokenRegex().IsMatch(name))
                            Fail(at, $"'{{{text2}}}': '{name}' is not a valid header name");
                        segments.Add(new ValueReference(text2, head == "query" ? ReferenceSource.Query : ReferenceSource.Header, name, -1, []));
                    }
                    else if (head == "item")
                    {
                        if (d.ForEach is null) Fail(at, $"'{{{text2}}}' is only available in a part with forEach", "add forEach: part.arrayField, or refer to a part by name");
                        segments.Add(new ValueReference(text2, ReferenceSource.Item, head, -1, reference[1..]));
                    }
                    else if (index.TryGetValue(head, out var source))
                    {
                        if (source == i) Fail(at, $"'{{{text2}}}' refers to the part itself", "a part can use route values and other parts' results");
                        else dependencies.Add(source);
                        segments.Add(new ValueReference(text2, ReferenceSource.Part, head, source, reference[1..]));
                    }
                    else if (reference.Length == 1 && routeValues.Contains(head))
                        segments.Add(new ValueReference(text2, ReferenceSource.RouteValue, head, -1, []));
                    else
                        Fail(at, $"'{{{text2}}}' is neither a route value nor a part",
                            Suggest.DidYouMean(head, names.Where(n => n != d.Name).Concat(routeValues)) ?? "the route captures no values and there is no other part");
                }
                return ValueTemplate.Create(text, segments);
            }

            var path = Template(d.Path, $"{pp}.path", clientInput: false);
            var query = d.Query.Select(q => (q.Key, Template(q.Value, $"{pp}.query.{q.Key}", clientInput: true))).ToList();
            var headers = d.Headers.Select(h => (h.Key, Template(h.Value, $"{pp}.headers.{h.Key}", clientInput: true))).ToList();
            if (failed) continue;
            parts[i] = new PlanPart(d, i, path!, query.Select(q => (q.Key, q.Item2!)).ToList(), headers.Select(h => (h.Key, h.Item2!)).ToList(),
                [.. dependencies], forEach,
                d.Select.Count > 0 ? d.Select.ToHashSet(StringComparer.Ordinal) : null,
                d.Rename.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal));
        }
        if (failed) return null;

        var stages = Order(parts, out var cycle);
        if (stages is null)
        {
            Fail($"{partsPath}.{cycle![0]}", $"parts depend on each other in a cycle: {string.Join(" → ", cycle)}", "a part can only use results of parts that do not need it");
            return null;
        }
        return new AggregationPlan(definition, parts, stages);
    }

    /// Kahn's algorithm by depth; on a cycle, returns null and the names along one cycle (first name repeated at the end).
    static List<IReadOnlyList<PlanPart>>? Order(PlanPart[] parts, out List<string>? cycle)
    {
        cycle = null;
        var done = new bool[parts.Length];
        var stages = new List<IReadOnlyList<PlanPart>>();
        var remaining = parts.Length;
        while (remaining > 0)
        {
            var stage = parts.Where(p => !done[p.Index] && p.Dependencies.All(d => done[d])).ToList();
            if (stage.Count == 0)
            {
                cycle = FindCycle(parts, done);
                return null;
            }
            foreach (var p in stage) done[p.Index] = true;
            remaining -= stage.Count;
            stages.Add(stage);
        }
        return stages;
    }

    static List<string> FindCycle(PlanPart[] parts, bool[] done)
    {
        // Every undone part waits for an undone part, so walking dependencies must revisit one.
        var start = parts.First(p => !done[p.Index]);
        var seen = new List<int>();
        var current = start.Index;
        while (!seen.Contains(current))
        {
            seen.Add(current);
            current = parts[current].Dependencies.First(d => !done[d]);
        }
        var loop = seen.Skip(seen.IndexOf(current)).Select(i => parts[i].Name).ToList();
        loop.Add(parts[current].Name);
        return loop;
    }
}

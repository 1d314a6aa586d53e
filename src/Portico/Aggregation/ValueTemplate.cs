using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Portico.Aggregation;

/// Where a `{…}` reference of a part template takes its value from.
internal enum ReferenceSource { RouteValue, Part, Item, Query, Header }

/// One `{…}` reference, resolved at config load: a route value, a field of an earlier part's result, a field of
/// the fan-out element, or a query parameter or header of the client's request.
internal sealed record ValueReference(string Text, ReferenceSource Source, string Name, int PartIndex, IReadOnlyList<string> Path)
{
    /// Client input may be absent: a query parameter or header of a part whose value needs it is left out then.
    public bool FromClient => Source is ReferenceSource.Query or ReferenceSource.Header;
}

/// A part's path, query or header value: literal text with `{…}` references, parsed once at config load.
internal sealed class ValueTemplate
{
    readonly object[] _segments; // string literals and ValueReferences, in order

    ValueTemplate(string text, object[] segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }
    public IEnumerable<ValueReference> References => _segments.OfType<ValueReference>();

    /// The reference when the template is that one reference and nothing else (`{query.tag}`), else null.
    public ValueReference? Only => _segments is [ValueReference only] ? only : null;

    /// Splits text into literals and raw references (`{a.b}` → ["a", "b"]); an error text on malformed braces.
    public static List<(string? Literal, string[]? Reference)>? Tokenize(string text, out string? error)
    {
        error = null;
        var tokens = new List<(string?, string[]?)>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '}')
            {
                error = $"'}}' at position {i + 1} closes nothing";
                return null;
            }
            if (c != '{')
            {
                literal.Append(c);
                continue;
            }
            var end = text.IndexOf('}', i + 1);
            if (end < 0)
            {
                error = $"'{{' at position {i + 1} is not closed";
                return null;
            }
            var inner = text[(i + 1)..end];
            var parts = inner.Split('.');
            if (inner.Length == 0 || parts.Any(p => p.Length == 0 || p.Contains('{')))
            {
                error = $"'{{{inner}}}' is not a reference";
                return null;
            }
            if (literal.Length > 0) tokens.Add((literal.ToString(), null));
            literal.Clear();
            tokens.Add((null, parts));
            i = end;
        }
        if (literal.Length > 0) tokens.Add((literal.ToString(), null));
        return tokens;
    }

    internal static ValueTemplate Create(string text, IEnumerable<object> segments) => new(text, [.. segments]);

    /// Fills the template; null with a reason when a referenced value is missing or not a scalar — null with no
    /// reason when what is missing is client input (a query parameter or header the client did not send).
    public string? Render(in PartScope scope, Func<string, string> encode, out string? missing)
    {
        missing = null;
        if (_segments.Length == 1 && _segments[0] is string only) return only;
        var builder = new StringBuilder();
        foreach (var segment in _segments)
        {
            if (segment is string literal)
            {
                builder.Append(literal);
                continue;
            }
            var reference = (ValueReference)segment;
            var value = scope.Resolve(reference);
            if (value is null)
            {
                missing = reference.FromClient ? null : $"no value for {{{reference.Text}}}";
                return null;
            }
            builder.Append(encode(value));
        }
        return builder.ToString();
    }

    /// The scalar at a dotted path (object members; array indexes as numbers) as text; null when absent or not a scalar.
    public static string? ScalarAt(JsonNode? node, IReadOnlyList<string> path)
    {
        node = NodeAt(node, path);
        if (node is not JsonValue value) return null;
        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    public static JsonNode? NodeAt(JsonNode? node, IReadOnlyList<string> path)
    {
        foreach (var name in path)
        {
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(name, out var child) ? child : null,
                JsonArray a when int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }
}

/// What a part's templates can see while one request runs: route values, results so far, the fan-out element, and
/// the client's query and headers.
internal readonly struct PartScope(RouteValueDictionary routeValues, JsonNode?[] results, JsonNode? item, HttpRequest? request = null)
{
    public string? Resolve(ValueReference reference) => reference.Source switch
    {
        ReferenceSource.RouteValue => routeValues.TryGetValue(reference.Name, out var v) ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null,
        ReferenceSource.Part => ValueTemplate.ScalarAt(results[reference.PartIndex], reference.Path),
        ReferenceSource.Item => ValueTemplate.ScalarAt(item, reference.Path),
        // Several values of one name are joined with commas, as HTTP joins repeated header fields.
        _ => ClientValues(reference) is { Count: > 0 } values ? values.ToString() : null,
    };

    /// Every value the client sent for a query parameter or header reference (empty for other references).
    public StringValues ClientValues(ValueReference reference) => reference.Source switch
    {
        // The query is parsed on first use, so only for parts that read it.
        ReferenceSource.Query when request is not null => request.Query[reference.Name],
        ReferenceSource.Header when request is not null => request.Headers[reference.Name],
        _ => StringValues.Empty,
    };
}

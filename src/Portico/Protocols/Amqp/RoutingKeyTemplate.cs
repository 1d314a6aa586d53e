using System.Text;
using Microsoft.AspNetCore.Routing;

namespace Portico.Protocols.Amqp;

/// A routing key with `{name}` placeholders for values the route's path captured: `order.{kind}`. Parsed once;
/// a key without placeholders is used as is.
internal sealed class RoutingKeyTemplate
{
    readonly (string Text, bool IsValue)[] _parts;
    readonly string? _constant;

    RoutingKeyTemplate((string, bool)[] parts)
    {
        _parts = parts;
        if (parts.All(p => !p.Item2)) _constant = string.Concat(parts.Select(p => p.Item1));
    }

    public IEnumerable<string> Values => _parts.Where(p => p.IsValue).Select(p => p.Text);

    /// The template, or null with <paramref name="error"/> saying what is wrong with it.
    public static RoutingKeyTemplate? TryParse(string text, out string? error)
    {
        var parts = new List<(string, bool)>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '}')
            {
                error = $"unmatched '}}' at position {i + 1}";
                return null;
            }
            if (text[i] != '{')
            {
                literal.Append(text[i]);
                continue;
            }
            var end = text.IndexOf('}', i + 1);
            var name = end < 0 ? "" : text[(i + 1)..end];
            if (end < 0 || name.Length == 0 || name.Contains('{'))
            {
                error = $"'{{' at position {i + 1} does not start a {{name}}";
                return null;
            }
            if (literal.Length > 0) parts.Add((literal.ToString(), false));
            literal.Clear();
            parts.Add((name, true));
            i = end;
        }
        if (literal.Length > 0 || parts.Count == 0) parts.Add((literal.ToString(), false));
        error = null;
        return new RoutingKeyTemplate([.. parts]);
    }

    public string Expand(RouteValueDictionary values)
    {
        if (_constant is not null) return _constant;
        var key = new StringBuilder();
        foreach (var (text, isValue) in _parts) key.Append(isValue ? values.TryGetValue(text, out var v) ? v as string : "" : text);
        return key.ToString();
    }
}

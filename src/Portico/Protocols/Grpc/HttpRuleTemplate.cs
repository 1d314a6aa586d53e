using System.Text;
using System.Text.RegularExpressions;

namespace Portico.Protocols.Grpc;

/// A field of the request message filled from the path: its dotted field path and how its value is put back
/// together from the route's captured values (literal segments and parameters, joined by '/').
/// <param name="FieldPath">e.g. `name` or `book.id`.</param>
/// <param name="Segments">Each a literal or a route parameter's name in braces, e.g. ["shelves", "{name_1}"].</param>
internal sealed record GrpcPathVariable(string FieldPath, IReadOnlyList<string> Segments)
{
    /// The field's value from the route values of a matched request.
    public string Compose(Func<string, string?> routeValue)
    {
        if (Segments.Count == 1 && IsParameter(Segments[0])) return routeValue(Segments[0][1..^1]) ?? "";
        var text = new StringBuilder();
        foreach (var segment in Segments)
        {
            var value = IsParameter(segment) ? routeValue(segment[1..^1]) ?? "" : segment;
            if (value.Length == 0) continue; // an empty `**` matches no segment
            if (text.Length > 0) text.Append('/');
            text.Append(value);
        }
        return text.ToString();
    }

    static bool IsParameter(string segment) => segment.StartsWith('{');
}

/// Turns a google.api.http path template (`/v1/{name=shelves/*/books/*}:publish`) into an ASP.NET route
/// pattern plus the request fields its variables fill. Grammar (google/api/http.proto):
/// Template = "/" Segments [ ":" Verb ]; Segment = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}".
internal static partial class HttpRuleTemplate
{
    public sealed record Result(string RoutePattern, IReadOnlyList<GrpcPathVariable> Variables);

    public static bool TryConvert(string template, out Result? result, out string? error)
    {
        result = null;
        error = Convert(template, out var pattern, out var variables);
        if (error is not null) return false;
        result = new Result(pattern, variables);
        return true;
    }

    static string? Convert(string template, out string pattern, out List<GrpcPathVariable> variables)
    {
        pattern = "";
        variables = [];
        if (!template.StartsWith('/')) return "the template must start with '/'";
        var (path, verb, splitError) = SplitVerb(template);
        if (splitError is not null) return splitError;
        var pieces = SplitTopLevel(path[1..], out var braceError);
        if (braceError is not null) return braceError;
        var segments = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var catchAll = false;
        var wildcards = 0;
        for (var i = 0; i < pieces.Count; i++)
        {
            var piece = pieces[i];
            var last = i == pieces.Count - 1;
            if (catchAll) return "'**' must be the last segment";
            if (piece.StartsWith('{'))
            {
                if (!piece.EndsWith('}')) return $"'{piece}' is not a variable: write {{field}} or {{field=segments}}";
                var inner = piece[1..^1];
                var eq = inner.IndexOf('=', StringComparison.Ordinal);
                var field = eq < 0 ? inner : inner[..eq];
                if (!FieldPathRegex().IsMatch(field)) return $"'{field}' is not a field path (letters, digits and '_', dotted for nested fields)";
                if (variables.Any(v => v.FieldPath == field)) return $"field '{field}' is bound twice";
                var sub = eq < 0 ? ["*"] : inner[(eq + 1)..].Split('/');
                var parts = new List<string>();
                var baseName = field.Replace('.', '_');
                for (var k = 0; k < sub.Length; k++)
                {
                    var s = sub[k];
                    if (catchAll) return "'**' must be the last segment";
                    if (s is "*" or "**")
                    {
                        if (s == "**" && !last) return "'**' must be the last segment";
                        var name = Unique(sub.Length == 1 ? baseName : $"{baseName}_{k + 1}", names);
                        catchAll = s == "**";
                        segments.Add(catchAll ? $"{{**{name}}}" : $"{{{name}}}");
                        parts.Add($"{{{name}}}");
                    }
                    else
                    {
                        if (LiteralError(s) is { } e) return e;
                        segments.Add(s);
                        parts.Add(s);
                    }
                }
                variables.Add(new GrpcPathVariable(field, parts));
            }
            else if (piece is "*" or "**")
            {
                if (piece == "**" && !last) return "'**' must be the last segment";
                var name = Unique($"_{++wildcards}", names);
                catchAll = piece == "**";
                segments.Add(catchAll ? $"{{**{name}}}" : $"{{{name}}}");
            }
            else
            {
                if (LiteralError(piece) is { } e) return e;
                segments.Add(piece);
            }
        }
        if (verb is not null)
        {
            if (catchAll) return $"a verb (':{verb}') after '**' cannot be matched";
            if (LiteralError(verb) is { } e) return e;
            if (segments.Count == 0) return "a verb needs a segment before it";
            segments[^1] += ":" + verb;
        }
        pattern = "/" + string.Join('/', segments);
        return null;
    }

    /// The trailing `:verb`, found after the last '/' outside braces.
    static (string Path, string? Verb, string? Error) SplitVerb(string template)
    {
        var depth = 0;
        var colon = -1;
        for (var i = 0; i < template.Length; i++)
        {
            switch (template[i])
            {
                case '{': depth++; break;
                case '}': depth--; break;
                case '/' when depth == 0: colon = -1; break;
                case ':' when depth == 0: colon = i; break;
            }
        }
        if (depth != 0) return (template, null, "unbalanced '{' and '}'");
        return colon < 0 ? (template, null, null) : (template[..colon], template[(colon + 1)..], null);
    }

    /// Segments split on '/' outside braces; a variable's own segments stay in one piece.
    static List<string> SplitTopLevel(string path, out string? error)
    {
        error = null;
        var pieces = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] == '{')
            {
                if (++depth > 1) error = "variables cannot nest";
            }
            else if (i < path.Length && path[i] == '}') depth--;
            else if (i == path.Length || (path[i] == '/' && depth == 0))
            {
                var piece = path[start..i];
                if (piece.Length == 0) error ??= "empty segment ('//' or a trailing '/')";
                pieces.Add(piece);
                start = i + 1;
            }
        }
        return pieces;
    }

    static string? LiteralError(string literal) =>
        literal.Length == 0 ? "empty segment ('//' or a trailing '/')"
        : literal.IndexOfAny(['{', '}', '*', '?', '#', '=', ':']) >= 0 ? $"'{literal}' is not a literal segment"
        : null;

    static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var n = 2; !taken.Add(candidate); n++) candidate = $"{name}{n}";
        return candidate;
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex FieldPathRegex();
}

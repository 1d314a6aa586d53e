using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Portico.Routing;

/// A compiled `rewrite:` such as `/users/{id}?expand={expand}`: literal and value parts for the path and the
/// query. Literals are used as written; values are percent-encoded (a catch-all keeps its '/' separators, an
/// encoded slash stays encoded); the client's query is kept, minus any parameter the rewrite sets.
internal sealed class RewriteTemplate
{
    readonly Part[] _path;
    readonly (string Name, Part[] Value)[] _query;

    readonly record struct Part(string? Literal, string? Parameter);

    RewriteTemplate(Part[] path, (string, Part[])[] query)
    {
        _path = path;
        _query = query;
        Parameters = [.. path.Concat(query.SelectMany(q => q.Item2)).Where(p => p.Parameter is not null).Select(p => p.Parameter!)];
    }

    /// Names of the `{values}` the rewrite uses, path first, in the order written.
    public IReadOnlyList<string> Parameters { get; }

    /// Parses a rewrite once: the template the proxy applies, its <see cref="Parameters"/>, and in
    /// <paramref name="error"/> what is malformed (null when nothing is; the config is refused then).
    public static RewriteTemplate Parse(string template, out string? error)
    {
        Configuration.PlanCompilations.Note("rewrite");
        error = null;
        var q = template.IndexOf('?');
        var pathText = q >= 0 ? template[..q] : template;
        var path = ParseParts(pathText, 0, ref error);
        var query = new List<(string, Part[])>();
        var at = q + 1;
        foreach (var pair in q >= 0 ? template[(q + 1)..].Split('&') : [])
        {
            var eq = pair.IndexOf('=');
            var name = eq >= 0 ? pair[..eq] : pair;
            if (name.Contains('{', StringComparison.Ordinal) || name.Contains('}', StringComparison.Ordinal))
                error ??= $"the query parameter name '{name}' holds '{{' or '}}': values go after '='";
            if (pair.Length > 0)
                query.Add((Uri.UnescapeDataString(name), eq >= 0 ? ParseParts(pair[(eq + 1)..], at + eq + 1, ref error) : []));
            at += pair.Length + 1;
        }
        return new RewriteTemplate(path, [.. query]);
    }

    static Part[] ParseParts(string text, int offset, ref string? error)
    {
        var parts = new List<Part>();
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf('{', i);
            if (open < 0)
            {
                parts.Add(new Part(text[i..], null));
                break;
            }
            if (open > i) parts.Add(new Part(text[i..open], null));
            var close = text.IndexOf('}', open);
            if (close < 0)
            {
                error ??= $"'{{' at position {offset + open} is not closed";
                parts.Add(new Part(text[open..], null));
                break;
            }
            var name = text[(open + 1)..close].TrimStart('*');
            if (name.Length == 0) error ??= "empty '{}' in the rewrite";
            else parts.Add(new Part(null, name));
            i = close + 1;
        }
        return [.. parts];
    }

    /// `{identity.sub}` and `{identity.consumer}` take the authenticated caller's subject or consumer id.
    public static bool IsIdentityValue(string name) => name is "identity.sub" or "identity.consumer";

    static string? Value(RouteValueDictionary values, string name, Identity.GatewayIdentity? identity) => name switch
    {
        "identity.sub" => identity?.Subject,
        "identity.consumer" => identity?.Consumer,
        _ => values.TryGetValue(name, out var v) ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null,
    };

    /// A subject is one path segment whatever it contains: '/' is escaped. ("." and ".." are refused at authentication.)
    static string IdentitySegment(string? value) => string.IsNullOrEmpty(value) ? "" : Uri.EscapeDataString(value);

    /// The upstream path, already encoded (see <see cref="UpstreamPath"/>), and the query.
    public (string Path, QueryString Query) Apply(RouteValueDictionary values, QueryString original, Identity.GatewayIdentity? identity = null)
    {
        var sb = new StringBuilder(64);
        foreach (var part in _path)
        {
            if (part.Literal is not null) sb.Append(part.Literal);
            else if (IsIdentityValue(part.Parameter!))
                sb.Append(IdentitySegment(Value(values, part.Parameter!, identity)));
            else if (Value(values, part.Parameter!, identity) is { Length: > 0 } text)
                sb.Append(UpstreamPath.Encode(text));
        }
        var path = sb.ToString();
        if (_query.Length == 0) return (path, original);

        var builder = new Microsoft.AspNetCore.Http.Extensions.QueryBuilder();
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, valueParts) in _query)
        {
            var value = new StringBuilder();
            foreach (var part in valueParts)
            {
                // In a query an encoded slash from the path is just a '/', which the builder encodes itself.
                value.Append(part.Literal ?? Value(values, part.Parameter!, identity)?.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) ?? "");
            }
            builder.Add(name, value.ToString());
            set.Add(name);
        }
        if (original.HasValue)
        {
            foreach (var (key, vals) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(original.Value))
            {
                if (set.Contains(key)) continue;
                foreach (var v in vals) builder.Add(key, v ?? "");
            }
        }
        return (path, builder.ToQueryString());
    }
}

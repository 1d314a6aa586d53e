using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Portico.Routing;

/// A compiled `rewrite:` such as `/users/{id}?expand={expand}`: literal and value parts for the path and the
/// query. Literals are used as written; values are percent-encoded (a catch-all keeps its '/' separators, an
/// encoded slash stays encoded); the client's query is kept, minus any parameter the rewrite sets.
public sealed class RewriteTemplate
{
    readonly Part[] _path;
    readonly (string Name, Part[] Value)[] _query;

    readonly record struct Part(string? Literal, string? Parameter);

    RewriteTemplate(Part[] path, (string, Part[])[] query)
    {
        _path = path;
        _query = query;
    }

    public static RewriteTemplate Parse(string template)
    {
        var q = template.IndexOf('?');
        var pathText = q >= 0 ? template[..q] : template;
        var queryText = q >= 0 ? template[(q + 1)..] : "";
        var path = ParseParts(pathText, out _);
        var query = new List<(string, Part[])>();
        foreach (var pair in queryText.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = eq >= 0 ? pair[..eq] : pair;
            query.Add((Uri.UnescapeDataString(name), ParseParts(eq >= 0 ? pair[(eq + 1)..] : "", out _)));
        }
        return new RewriteTemplate(path, [.. query]);
    }

    /// Names of the `{values}` a rewrite uses; <paramref name="error"/> explains a malformed template.
    public static IEnumerable<string> ParameterNames(string template, out string? error)
    {
        var parts = ParseParts(template, out error);
        return parts.Where(p => p.Parameter is not null).Select(p => p.Parameter!).ToList();
    }

    static Part[] ParseParts(string text, out string? error)
    {
        error = null;
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
                error = $"'{{' at position {open} is not closed";
                parts.Add(new Part(text[open..], null));
                break;
            }
            var name = text[(open + 1)..close].TrimStart('*');
            if (name.Length == 0) error = "empty '{}' in the rewrite";
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

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;

namespace Portico.Routing;

/// Endpoint metadata: the header, query and Accept conditions a route adds to its path, methods and hosts.
/// Evaluated by <see cref="RouteConditionsMatcherPolicy"/>.
internal sealed class RouteConditions
{
    readonly ValueCondition[] _headers;
    readonly ValueCondition[] _query;
    readonly string[] _accept;

    public RouteConditions(RouteMatch match)
    {
        _headers = [.. match.Headers];
        _query = [.. match.Query];
        _accept = [.. match.Accept];
    }

    public bool IsEmpty => _headers.Length == 0 && _query.Length == 0 && _accept.Length == 0;

    public bool Matches(HttpRequest request)
    {
        foreach (var c in _headers)
        {
            if (!ValueMatches(request.Headers[c.Name], c.Values)) return false;
        }
        foreach (var c in _query)
        {
            if (!ValueMatches(request.Query[c.Name], c.Values)) return false;
        }
        return _accept.Length == 0 || AcceptMatches(request.Headers.Accept);
    }

    static bool ValueMatches(StringValues actual, IReadOnlyList<string> allowed)
    {
        if (actual.Count == 0) return false;
        if (allowed.Count == 0) return true;
        foreach (var value in actual)
        {
            foreach (var a in allowed)
            {
                if (string.Equals(value?.Trim(), a, StringComparison.OrdinalIgnoreCase)) return true;
            }
        }
        return false;
    }

    /// True when the Accept header lists one of the route's media types (parameters ignored, q=0 excluded).
    bool AcceptMatches(StringValues accept)
    {
        foreach (var header in accept)
        {
            if (header is null) continue;
            foreach (var range in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var semi = range.IndexOf(';');
                var type = (semi >= 0 ? range[..semi] : range).Trim();
                if (semi >= 0 && IsQZero(range.AsSpan(semi))) continue;
                foreach (var wanted in _accept)
                {
                    if (string.Equals(type, wanted, StringComparison.OrdinalIgnoreCase)) return true;
                }
            }
        }
        return false;
    }

    static bool IsQZero(ReadOnlySpan<char> parameters)
    {
        foreach (var range in parameters.Split(';'))
        {
            var p = parameters[range].Trim();
            if (p.StartsWith("q=", StringComparison.OrdinalIgnoreCase) && double.TryParse(p[2..], System.Globalization.CultureInfo.InvariantCulture, out var q) && q <= 0) return true;
        }
        return false;
    }
}

/// Endpoint metadata: which named gateway an endpoint belongs to.
internal sealed record GatewayMetadata(string Gateway, int Index);

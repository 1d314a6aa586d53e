using Portico.Configuration;

namespace Portico.Routing;

/// Method fall-through: whether a route answers 405 for methods it does not take, and the warnings for routes
/// whose refused requests (method or conditions) would be served by a later route with weaker protection.
internal static class MethodFallThrough
{
    /// `otherMethods` as configured; by default `reject` for a route with `methods:` that is protected on this
    /// gateway (auth or a rate limit), since falling through could only lose that protection; `next` otherwise.
    public static bool RejectsOtherMethods(RouteDefinition route, GatewayDefinition gateway, PorticoConfig config)
    {
        if (route.Match.Methods.Count == 0) return false;
        return route.OtherMethods is { } explicitly ? explicitly == OtherMethodsAction.Reject : Protection.Of(route, gateway, config).IsProtected;
    }

    /// One warning per route whose refused requests reach a later, less protected route (the first such route),
    /// naming both routes, what is refused and what protection is lost, with a hint.
    public static IReadOnlyList<ConfigError> Warnings(PorticoConfig config, ConfigSourceMap? where = null)
    {
        var warnings = new List<ConfigError>();
        var reported = new HashSet<(string, string)>();
        var templates = new Dictionary<RouteDefinition, PathTemplate>(ReferenceEqualityComparer.Instance);
        foreach (var r in config.Routes)
        {
            if (r.Template is { } t) templates[r] = t;
        }
        foreach (var (gateway, routes) in RoutePrecedence.ByGateway(config))
        {
            for (var i = 0; i < routes.Count; i++)
            {
                var a = routes[i];
                if (!templates.TryGetValue(a, out var ta)) continue;
                var methods = a.Match.Methods.Count > 0 && !RejectsOtherMethods(a, gateway, config);
                var conditions = a.Match.Hosts.Count + a.Match.Headers.Count + a.Match.Query.Count + a.Match.Accept.Count > 0;
                if (!methods && !conditions) continue;
                var protection = Protection.Of(a, gateway, config);
                if (!protection.IsProtected) continue;
                for (var j = i + 1; j < routes.Count; j++)
                {
                    var b = routes[j];
                    if (!templates.TryGetValue(b, out var tb) || !PathOverlap.MayOverlap(ta, tb)) continue;
                    // Refused only by method, and b takes none of the other methods: nothing falls through to b.
                    var takesOthers = b.Match.Methods.Count == 0 || b.Match.Methods.Any(m => !a.Match.Methods.Contains(m, StringComparer.OrdinalIgnoreCase));
                    if (conditions || takesOthers)
                    {
                        if (protection.LostTo(Protection.Of(b, gateway, config)) is { } lost && reported.Add((a.Name, b.Name)))
                        {
                            warnings.Add(Warning(a, b, gateway, config, methods && takesOthers, conditions, lost, where));
                            break;
                        }
                    }
                    // A route for every method with no conditions takes all that reaches it: later routes never see these requests.
                    if (b.Match.ConditionCount == 0) break;
                }
            }
        }
        return warnings;
    }

    static ConfigError Warning(RouteDefinition a, RouteDefinition b, GatewayDefinition gateway, PorticoConfig config, bool methods, bool conditions, string lost, ConfigSourceMap? where)
    {
        var refused = methods && conditions ? $"requests with other methods than {string.Join(", ", a.Match.Methods)} or failing its match conditions"
            : methods ? $"requests with other methods than {string.Join(", ", a.Match.Methods)}"
            : "requests failing its match conditions (hosts, headers, query, accept)";
        var on = config.Gateways.Count > 1 ? $" on gateway '{gateway.Name}'" : "";
        var hint = methods
            ? $"set otherMethods: reject on route '{a.Name}' to answer 405, or protect route '{b.Name}' too (or otherMethods: next on '{a.Name}' if the fall-through is intended)"
            : $"protect route '{b.Name}' too, or narrow its path so it does not cover '{a.Match.Path}'";
        var path = $"{a.ConfigPath}.match";
        return new ConfigError(path, $"route '{a.Name}': {refused} fall through{on} to route '{b.Name}' ({b.ConfigPath}), which {lost}", where?.Find(path), hint);
    }

    /// What guards a route on a gateway: auth schemes, required scopes and claims, and its rate limit.
    readonly record struct Protection(IReadOnlyList<string> Schemes, IReadOnlyList<string> Scopes, IReadOnlyList<ValueCondition> Claims, RateLimitDefinition? RateLimit)
    {
        public bool IsProtected => Schemes.Count > 0 || RateLimit is not null;

        public static Protection Of(RouteDefinition route, GatewayDefinition gateway, PorticoConfig config)
        {
            var schemes = config.Auth is null ? [] : route.SchemesOn(gateway);
            var limitName = route.RateLimit ?? gateway.RateLimit;
            var limit = limitName is null || limitName == RateLimitDefinition.None ? null : config.RateLimits?.FirstOrDefault(l => l.Name == limitName);
            return new Protection(schemes, schemes.Count > 0 ? route.Scopes ?? [] : [], schemes.Count > 0 ? route.Claims ?? [] : [], limit);
        }

        /// What <paramref name="other"/> lacks of this protection, in words; null when it lacks nothing.
        public string? LostTo(Protection other)
        {
            var lost = new List<string>();
            if (Schemes.Count > 0 && other.Schemes.Count == 0) lost.Add("needs no authentication");
            else if (Schemes.Count > 0)
            {
                var extra = other.Schemes.Except(Schemes, StringComparer.Ordinal).ToList();
                if (extra.Count > 0) lost.Add($"also accepts {string.Join(", ", extra)}");
                var scopes = Scopes.Except(other.Scopes, StringComparer.Ordinal).ToList();
                if (scopes.Count > 0) lost.Add($"does not require scope {string.Join(", ", scopes)}");
                var otherClaims = other.Claims;
                if (Claims.Any(c => !otherClaims.Any(o => o.Equivalent(c)))) lost.Add("does not require the same claims");
            }
            if (RateLimit is { } mine)
            {
                if (other.RateLimit is not { } theirs) lost.Add("has no rate limit");
                else if (theirs.Name != mine.Name && Rate(theirs) > Rate(mine)) lost.Add($"has a looser rate limit ('{theirs.Name}' instead of '{mine.Name}')");
            }
            return lost.Count == 0 ? null : string.Join(" and ", lost);
        }

        static double Rate(RateLimitDefinition d) => d.Limit / Math.Max(d.Window.TotalSeconds, 1e-9);
    }
}

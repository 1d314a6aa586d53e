using System.Text.RegularExpressions;

namespace Portico.Configuration;

/// Checks what binding cannot: references between sections, listener clashes, templates, ambiguous routes.
internal static partial class ConfigValidator
{
    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex TokenRegex();

    [GeneratedRegex(@"^https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}/?$")]
    private static partial Regex ListenAddressRegex();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NameRegex();

    /// Checks <paramref name="config"/> and returns it with each route's path template parsed and each route kind's
    /// plan compiled (what the runtime takes); errors go to <paramref name="errors"/>.
    /// <paramref name="policies"/>: the names of the C# request policies the host registered.
    public static PorticoConfig Validate(PorticoConfig config, ConfigSourceMap where, List<ConfigError> errors, RouteKindSet kinds, IReadOnlyCollection<string>? policies = null)
    {
        policies ??= [];
        void Error(string path, string message, string? hint = null) => errors.Add(new ConfigError(path, message, where.Find(path), hint));

        var gatewayNames = config.Gateways.Select(g => g.Name).ToList();
        var check = new RouteCheck(config, where, errors, kinds);
        var serviceNames = check.ServiceNames;

        foreach (var s in config.Services)
        {
            if (!NameRegex().IsMatch(s.Name)) Error($"services.{s.Name}", $"'{s.Name}' is not a valid service name", "use letters, digits, '.', '_' and '-'");
            foreach (var dup in s.Urls.GroupBy(u => u.AbsoluteUri.TrimEnd('/')).Where(g => g.Count() > 1))
                Error($"services.{s.Name}.urls", $"'{dup.Key}' is listed {dup.Count()} times", "list each URL once");
            if (kinds.ForProtocol(s.Protocol) is { } kind)
            {
                foreach (var (key, present) in new[] { ("health", s.Health is not null), ("retry", s.Retry is not null), ("circuitBreaker", s.CircuitBreaker is not null) })
                {
                    if (present && kind.UnsupportedServiceKeys.Contains(key))
                        Error($"services.{s.Name}.{key}", $"'{key}' does not apply to {kind.ServiceArticle} service", kind.UnsupportedServiceKeysHint);
                }
            }
        }

        var listeners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var g in config.Gateways)
        {
            var gp = $"gateways.{g.Name}";
            if (!NameRegex().IsMatch(g.Name)) Error(gp, $"'{g.Name}' is not a valid gateway name", "use letters, digits, '.', '_' and '-'");
            for (var i = 0; i < g.Listen.Count; i++)
            {
                var text = g.Listen[i];
                var lp = where.Has($"{gp}.listen[{i}]") ? $"{gp}.listen[{i}]" : $"{gp}.listen";
                if (!ListenAddressRegex().IsMatch(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri))
                {
                    Error(lp, $"'{text}' is not a listen address", "use scheme://host:port, e.g. http://127.0.0.1:8080 (host 0.0.0.0 or [::] for all interfaces)");
                    continue;
                }
                var host = uri.Host.Trim('[', ']');
                if (host is not "localhost" && !System.Net.IPAddress.TryParse(host, out _))
                {
                    Error(lp, $"'{text}' names a host, not an address", "listen on an IP address (127.0.0.1, or 0.0.0.0 / [::] for all interfaces) or localhost");
                    continue;
                }
                if (uri.Scheme == "https" && g.Tls is null) Error(lp, $"'{text}' is https but the gateway has no certificate", "add tls: { certificate: server.pfx } to the gateway, or listen on http://");
                var key = uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (uri.Port != 0 && listeners.TryGetValue(key, out var other) && other != g.Name)
                    Error(lp, $"'{text}' is already used by gateway '{other}'", "each gateway needs its own port (gateways are told apart by the port a request arrives on)");
                else if (g.Listen.Take(i).Any(l => string.Equals(l.TrimEnd('/'), text.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
                    Error(lp, $"'{text}' is listed twice", "list each listen address once");
                else listeners[key] = g.Name;
            }
            foreach (var (path, value) in new[] { ("live", g.LivePath), ("ready", g.ReadyPath) })
            {
                if (value is not null && !value.StartsWith('/')) Error($"{gp}.health.{path}", $"'{value}' must start with '/'");
            }
            ValidateHeaders(g.RequestHeaders, $"{gp}.headers.request", Error, request: true);
            ValidateHeaders(g.ResponseHeaders, $"{gp}.headers.response", Error);
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var compiled = new List<(RouteDefinition Route, PathTemplate Template)>();
        var routes = new List<RouteDefinition>(config.Routes.Count);
        foreach (var r in config.Routes)
        {
            var rp = r.ConfigPath;
            if (names.TryGetValue(r.Name, out var first))
                Error($"{rp}.name", $"duplicate route name '{r.Name}' (also routes[{first}])", "route names must be unique; rename one");
            else names[r.Name] = r.Index;

            if (r.Gateways is { Count: 0 })
                Error($"{rp}.gateways", "the route is on no gateway", "name at least one gateway, or remove 'gateways' to serve the route on every gateway");
            if (r.Gateways is { } gws)
            {
                foreach (var gw in gws.Where(gw => !gatewayNames.Contains(gw)))
                    Error($"{rp}.gateways", $"unknown gateway '{gw}'", Suggest.DidYouMean(gw, gatewayNames));
            }

            PathTemplate? template = null;
            if (!PathTemplate.TryParse(r.Match.Path, out template, out var templateError))
                Error($"{rp}.match.path", $"'{r.Match.Path}' is not a valid path template: {templateError}", "e.g. /api/users/{id} or /legacy/{**rest}");

            foreach (var m in r.Match.Methods.Where(m => !TokenRegex().IsMatch(m)))
                Error($"{rp}.match.methods", $"'{m}' is not an HTTP method", "e.g. GET, POST, PUT, DELETE");
            if (r.OtherMethods is not null && r.Match.Methods.Count == 0)
                Error($"{rp}.otherMethods", "'otherMethods' only applies to a route with 'methods'", "list the route's methods in match.methods, or remove otherMethods (a route without methods takes every method)");
            foreach (var h in r.Match.Headers.Where(h => !TokenRegex().IsMatch(h.Name)))
                Error($"{rp}.match.headers.{h.Name}", $"'{h.Name}' is not a valid header name");
            foreach (var a in r.Match.Accept.Where(a => a.Count(c => c == '/') != 1 || a.Contains(';')))
                Error($"{rp}.match.accept", $"'{a}' is not a media type", "e.g. application/vnd.portico.v2+json (without parameters)");
            foreach (var host in r.Match.Hosts.Where(h => h.Length == 0 || h.Contains('/')))
                Error($"{rp}.match.hosts", $"'{host}' is not a host", "e.g. api.example.com, *.example.com or api.example.com:8443");

            if (r.Service is not null && r.Split is not null)
                Error(rp, "the route has both 'service' and 'split'", "keep one: 'split' already names its services");
            if (r.Service is not null && !serviceNames.Contains(r.Service))
                Error($"{rp}.service", $"unknown service '{r.Service}'", Suggest.DidYouMean(r.Service, serviceNames));
            if (r.Split is { } split)
            {
                if (split.Targets.Count == 0) Error($"{rp}.split", "the split names no service", "e.g. split: { users: 90, users-v2: 10 }");
                else if (split.Targets.Sum(t => t.Weight) <= 0) Error($"{rp}.split", "the split's weights add up to 0", "give at least one service a weight above 0");
                foreach (var t in split.Targets.Where(t => !serviceNames.Contains(t.Service)))
                    Error($"{rp}.split.{t.Service}", $"unknown service '{t.Service}'", Suggest.DidYouMean(t.Service, serviceNames));
                foreach (var t in split.Targets.Where(t => check.FindService(t.Service) is { Protocol: not ServiceDefinition.HttpProtocol }))
                    Error($"{rp}.split.{t.Service}", $"service '{t.Service}' is not an HTTP service: a split forwards requests", "split between protocol: http services");
            }
            ValidateHeaders(r.RequestHeaders, $"{rp}.headers.request", Error, request: true);
            ValidateHeaders(r.ResponseHeaders, $"{rp}.headers.response", Error);
            foreach (var policy in r.Policies ?? [])
            {
                if (!policies.Contains(policy))
                    Error($"{rp}.policies", $"unknown policy '{policy}'", policies.Count == 0
                        ? "no request policies are registered here: a policy is a C# class an app that embeds Portico registers with AddPortico(o => o.AddPolicy<T>(\"name\"))"
                        : Suggest.DidYouMean(policy, policies) ?? $"registered policies: {string.Join(", ", policies.Order(StringComparer.Ordinal))}");
            }
            if (r.Policies is { } listed && listed.Distinct(StringComparer.Ordinal).Count() != listed.Count)
                Error($"{rp}.policies", "a policy is listed twice", "list each policy once");
            var checkedRoute = r with { Template = template };
            routes.Add(checkedRoute);
            if (template is not null) compiled.Add((checkedRoute, template));
        }

        // Each route's kind checks its section and compiles its plan, once: the runtime takes the result.
        for (var i = 0; i < routes.Count; i++)
        {
            var r = check.Route = routes[i];
            // A service of a kind's protocol is only reached through that kind's routes.
            if (check.Service is { } service && kinds.ForProtocol(service.Protocol) is { } owner && r.Kind is { } bound && bound.Kind != owner.Key)
            {
                var (message, hint) = owner.MissingSection(service);
                Error(r.ConfigPath, message, hint);
            }
            if (r.Kind is { } section && kinds.For(section).Compile(section, check) is { } plan) routes[i] = r with { Kind = plan };
        }
        config = config with { Routes = routes };

        ValidateAuth(config, where, errors);
        ValidateTraffic(config, Error);
        ValidateTelemetry(config, Error);
        ValidateFormats(config, where, errors);

        // Two routes that accept exactly the same requests on a gateway, with the same order, are a mistake. Only routes
        // with the same order and path shape can clash: grouped by those, a table of 10,000 routes is not 50M pairs.
        var alike = new Dictionary<(int Order, string Shape), List<int>>();
        for (var i = 0; i < compiled.Count; i++)
        {
            var (a, ta) = compiled[i];
            if (!alike.TryGetValue((a.Order, ta.Shape), out var earlier)) alike[(a.Order, ta.Shape)] = earlier = [];
            foreach (var j in earlier)
            {
                var b = compiled[j].Route;
                if (!SharesGateway(a, b, gatewayNames)) continue;
                // A route limited to some methods is more specific than one for any method (RoutePrecedence), so only equal sets clash.
                if (!SameSet(a.Match.Methods, b.Match.Methods)) continue;
                if (!SameSet(a.Match.Hosts, b.Match.Hosts) || !SameSet(a.Match.Accept, b.Match.Accept)) continue;
                if (!SameConditions(a.Match.Headers, b.Match.Headers) || !SameConditions(a.Match.Query, b.Match.Query)) continue;
                Error($"{a.ConfigPath}.match", $"route '{a.Name}' matches the same requests as route '{b.Name}' ({b.ConfigPath})",
                    "add a distinguishing condition (methods, headers, query, accept, hosts), or set 'order' to say which wins");
            }
            earlier.Add(i);
        }
        return config;
    }

    static void ValidateHeaders(HeaderTransforms t, string path, Action<string, string, string?> error, bool request = false)
    {
        foreach (var name in t.Set.Select(p => p.Key).Concat(t.Append.Select(p => p.Key)).Concat(t.Remove).Concat(t.Keep ?? []))
        {
            if (!TokenRegex().IsMatch(name)) error(path, $"'{name}' is not a valid header name", null);
        }
        // Values are written as they are: one with a line break would add header lines (or a request) of its own.
        foreach (var (name, value) in t.Set.Concat(t.Append))
        {
            if (Http.HeaderValue.Flaw(value) is { } flaw)
                error($"{path}.{(t.Set.Contains(new(name, value)) ? "set" : "append")}.{name}", $"the value holds {flaw}", "header values are visible ASCII, spaces and tabs; percent-encode anything else");
        }
        if (!request && t.Keep is { Count: > 0 }) error($"{path}.keep", "keep applies to request headers only", "move it to headers.request.keep");
    }

    static bool SharesGateway(RouteDefinition a, RouteDefinition b, List<string> all) =>
        (a.Gateways ?? all).Intersect(b.Gateways ?? all).Any();

    static bool SameSet(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && a.Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(b.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);

    static bool SameConditions(IReadOnlyList<ValueCondition> a, IReadOnlyList<ValueCondition> b) =>
        a.Count == b.Count && a.All(x => b.Any(y => y.Equivalent(x)));
}

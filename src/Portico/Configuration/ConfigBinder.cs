namespace Portico.Configuration;

/// Binds a <see cref="ConfigNode"/> document to <see cref="PorticoConfig"/>, collecting shape errors
/// (types, unknown keys, bad durations). Cross-references are checked by <see cref="ConfigValidator"/>.
internal static partial class ConfigBinder
{
    static readonly Dictionary<string, LoadBalancingPolicy> LoadBalancingNames = new(StringComparer.Ordinal)
    {
        ["round-robin"] = LoadBalancingPolicy.RoundRobin,
        ["least-requests"] = LoadBalancingPolicy.LeastRequests,
        ["power-of-two"] = LoadBalancingPolicy.PowerOfTwoChoices,
        ["first"] = LoadBalancingPolicy.First,
        ["random"] = LoadBalancingPolicy.Random,
    };

    /// Binds with the route kinds <paramref name="kinds"/> (their sections of routes, their service protocols).
    internal static PorticoConfig Bind(ConfigNode root, List<ConfigError> errors, RouteKindSet kinds)
    {
        var r = new MappingReader(root, errors, "the configuration root");
        // `x-…` keys at the top level are free for YAML anchors shared by several sections; `$schema` is for editors.
        foreach (var (key, _) in r.Mapping?.Entries ?? [])
        {
            if (key.Value!.StartsWith("x-", StringComparison.Ordinal) || key.Value == "$schema") r.Node(key.Value);
        }
        var services = BindServices(r, errors, kinds);
        var gateways = BindGateways(r, errors);
        var routes = BindRoutes(r, errors, kinds);
        var server = BindServer(r.Node("server"), errors);
        var auth = BindAuth(r.Node("auth"), errors);
        var (store, rateLimits, trustedProxies) = BindTraffic(r, errors);
        var cachePolicies = BindCachePolicies(r, errors);
        var telemetry = BindTelemetry(r.Node("telemetry"), errors);
        r.Done();
        return new PorticoConfig(gateways, services, routes, server, auth, store, rateLimits, trustedProxies, cachePolicies) { Telemetry = telemetry };
    }

    static ServerDefinition BindServer(ConfigNode? node, List<ConfigError> errors)
    {
        var r = new MappingReader(node, errors, "server settings");
        var d = ServerDefinition.Default;
        var limits = new MappingReader(r.Node("limits"), errors, "request limits");
        long? maxBody = d.MaxRequestBodySize;
        if (limits.Node("maxRequestBodySize") is ConfigScalar { Value: "unlimited" }) maxBody = null;
        else maxBody = limits.Size("maxRequestBodySize") ?? maxBody;
        var maxHeaders = limits.Size("maxRequestHeadersSize") is { } h ? (int)Math.Min(h, int.MaxValue) : d.MaxRequestHeadersTotalSize;
        var bufferedBodies = limits.Size("bufferedBodies");
        limits.Done();
        var logs = new MappingReader(r.Node("logging"), errors, "logging");
        var format = logs.Choice("format", new Dictionary<string, string>(StringComparer.Ordinal) { ["json"] = "json", ["text"] = "text" }) ?? d.LogFormat;
        var level = logs.Choice("level", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["trace"] = "Trace",
            ["debug"] = "Debug",
            ["information"] = "Information",
            ["info"] = "Information",
            ["warning"] = "Warning",
            ["error"] = "Error",
            ["critical"] = "Critical",
            ["none"] = "None",
        }) ?? d.LogLevel;
        logs.Done();
        var cache = new MappingReader(r.Node("cache"), errors, "response cache settings");
        var cacheSize = cache.Size("size") ?? d.CacheSize;
        var cacheMaxBody = cache.Size("maxBodySize") ?? d.CacheMaxBodySize;
        cache.Done();
        var result = new ServerDefinition(r.Duration("shutdownTimeout") ?? d.ShutdownTimeout, maxBody, maxHeaders, format, level, cacheSize, cacheMaxBody, bufferedBodies);
        r.Done();
        return result;
    }

    static List<GatewayDefinition> BindGateways(MappingReader root, List<ConfigError> errors)
    {
        var list = new List<GatewayDefinition>();
        var node = root.Node("gateways");
        if (node is null)
        {
            list.Add(new GatewayDefinition(GatewayDefinition.DefaultName, [GatewayDefinition.DefaultListen], null, HeaderTransforms.None, HeaderTransforms.None, "/healthz", "/readyz", null));
            return list;
        }
        foreach (var (key, value) in root.Entries("gateways"))
        {
            var g = new MappingReader(value, errors, $"gateway '{key.Value}'");
            var listen = g.StringList("listen");
            if (listen.Count == 0) listen = [GatewayDefinition.DefaultListen];
            var health = g.Node("health");
            string? live = "/healthz", ready = "/readyz";
            if (health is ConfigScalar { Value: "false" or "off" }) live = ready = null;
            else if (health is not null)
            {
                var h = new MappingReader(health, errors, "health endpoints");
                live = h.String("live") ?? live;
                ready = h.String("ready") ?? ready;
                h.Done();
            }
            var headers = new MappingReader(g.Node("headers"), errors, "header transforms");
            var request = BindHeaderTransforms(headers.Node("request"), errors);
            var response = BindHeaderTransforms(headers.Node("response"), errors);
            headers.Done();
            TlsDefinition? tls = null;
            if (g.Node("tls") is { } tlsNode)
            {
                var t = new MappingReader(tlsNode, errors, "TLS settings");
                var cert = t.String("certificate", required: true, hint: "path to a .pfx or a PEM certificate file");
                tls = cert is null ? null : new TlsDefinition(cert, t.String("key"), t.String("password"));
                t.Done();
            }
            list.Add(new GatewayDefinition(key.Value!, listen, g.Duration("timeout"), request, response, live, ready, tls, g.Has("auth") ? g.StringList("auth") : null, g.String("rateLimit"), BindFormats(g), BindXmlFormat(g, errors), BindPaths(g, errors)) { Telemetry = BindGatewayTelemetry(g, errors) });
            g.Done();
        }
        if (list.Count == 0) errors.Add(new ConfigError("gateways", "no gateway is defined", node.Location, "define at least one gateway, or remove 'gateways' for a single default one"));
        return list;
    }

    static List<ServiceDefinition> BindServices(MappingReader root, List<ConfigError> errors, RouteKindSet kinds)
    {
        var list = new List<ServiceDefinition>();
        var protocols = kinds.Protocols.ToDictionary(p => p, p => p, StringComparer.Ordinal);
        foreach (var (key, value) in root.Entries("services"))
        {
            var s = new MappingReader(value, errors, $"service '{key.Value}'");
            var protocol = s.Choice("protocol", protocols) ?? ServiceDefinition.HttpProtocol;
            var kind = kinds.ForProtocol(protocol);
            // A broker's URL is not an HTTP base URL: a kind whose services have their own address binds it itself.
            var broker = kind?.OwnsAddress == true;
            var urlsNode = broker ? null : s.Node("urls") ?? s.Node("url");
            var urls = new List<Uri>();
            foreach (var (text, i) in s.StringList(urlsNode).Select((t, i) => (t, i)))
            {
                var at = urlsNode is ConfigSequence seq ? seq.Items[i] : urlsNode!;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
                    && string.IsNullOrEmpty(uri.Query.TrimStart('?')) && string.IsNullOrEmpty(uri.Fragment))
                    urls.Add(uri);
                else
                    errors.Add(new ConfigError(at.Path, $"'{text}' is not a valid service URL", at.Location, "use an absolute http:// or https:// URL without query or fragment, e.g. http://127.0.0.1:5101"));
            }
            if (urlsNode is null && !broker) s.Missing("urls", "list the service's base URLs, e.g. urls: [http://127.0.0.1:5101]");
            else if (urlsNode is not null && urls.Count == 0 && !errors.Any(e => e.Path.StartsWith(urlsNode.Path, StringComparison.Ordinal)))
                errors.Add(new ConfigError(urlsNode.Path, "the service has no URL", urlsNode.Location, "list at least one base URL"));

            ActiveHealthDefinition? health = null;
            if (s.Node("health") is { } hn)
            {
                var h = new MappingReader(hn, errors, "active health check");
                var path = h.String("path") ?? "/healthz";
                if (!path.StartsWith('/')) h.Error(h.Node("path")!, $"'{path}' must start with '/'");
                health = new ActiveHealthDefinition(path, h.Duration("interval") ?? TimeSpan.FromSeconds(10), h.Duration("timeout") ?? TimeSpan.FromSeconds(2),
                    h.Int("healthyThreshold", 1, 100) ?? 1, h.Int("unhealthyThreshold", 1, 100) ?? 2);
                h.Done();
            }
            var passive = PassiveHealthDefinition.Default;
            if (s.Node("passiveHealth") is { } pn)
            {
                if (pn is ConfigScalar { Value: "false" or "off" }) passive = passive with { Enabled = false };
                else
                {
                    var p = new MappingReader(pn, errors, "passive health");
                    passive = new PassiveHealthDefinition(p.Bool("enabled") ?? true, p.Int("consecutiveFailures", 1, 1000) ?? passive.ConsecutiveFailures, p.Duration("ejectFor") ?? passive.EjectFor);
                    p.Done();
                }
            }
            RetryDefinition? retry = null;
            if (s.Node("retry") is { } rn)
            {
                var rr = new MappingReader(rn, errors, "retry policy");
                var statuses = new List<int>();
                foreach (var st in rr.StringList("onStatus"))
                {
                    if (int.TryParse(st, out var code) && code is >= 500 and <= 599) statuses.Add(code);
                    else rr.Error(rr.Node("onStatus")!, $"'{st}' is not a 5xx status code", "retries are only for 5xx responses, e.g. [502, 503]");
                }
                retry = new RetryDefinition(rr.Int("attempts", 1, 10) ?? 2, rr.Duration("backoff") ?? TimeSpan.FromMilliseconds(50), rr.Duration("maxBackoff") ?? TimeSpan.FromSeconds(1),
                    statuses.Count > 0 ? statuses : [502, 503], rr.Double("budget", 0, 1) ?? 0.2, rr.Int("minRetriesPerSecond", 0, 100000) ?? 10);
                rr.Done();
            }
            CircuitBreakerDefinition? breaker = null;
            if (s.Node("circuitBreaker") is { } cn)
            {
                var c = new MappingReader(cn, errors, "circuit breaker");
                breaker = new CircuitBreakerDefinition(c.Double("failureRatio", 0.01, 1) ?? 0.5, c.Int("minimumThroughput", 2, 1_000_000) ?? 20,
                    c.Duration("samplingDuration") ?? TimeSpan.FromSeconds(30), c.Duration("breakFor") ?? TimeSpan.FromSeconds(30));
                c.Done();
            }
            var lb = s.Enum("loadBalancing", LoadBalancingNames) ?? LoadBalancingPolicy.RoundRobin;
            var section = kind?.BindService(s, errors);
            list.Add(new ServiceDefinition(key.Value!, urls, lb, health, passive, s.Duration("timeout") ?? TimeSpan.FromSeconds(30), retry, breaker,
                s.Duration("connectTimeout") ?? TimeSpan.FromSeconds(5), s.Int("maxConnectionsPerServer", 1), s.Bool("required") ?? true, protocol, section));
            s.Done();
        }
        return list;
    }

    static List<RouteDefinition> BindRoutes(MappingReader root, List<ConfigError> errors, RouteKindSet kinds)
    {
        var list = new List<RouteDefinition>();
        var node = root.Node("routes");
        if (node is null) return list;
        if (node is not ConfigSequence seq)
        {
            errors.Add(new ConfigError("routes", $"expected a list of routes, found {node.Kind}", node.Location, "write each route as a list item starting with '- name: …'"));
            return list;
        }
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var r = new MappingReader(seq.Items[i], errors, "a route");
            if (!r.Exists) continue;
            var name = r.String("name") ?? $"routes[{i}]";
            // The route's kind: the one whose key it holds (`aggregate`, `grpc`, …), else the default (forwarding).
            var sections = kinds.Keyed.Select(k => (Kind: k, Node: r.Node(k.Key))).Where(k => k.Node is not null).ToList();
            if (sections.Count > 1)
                errors.Add(new ConfigError(seq.Items[i].Path, $"the route has {string.Join(" and ", sections.Select(k => $"'{k.Kind.Key}'"))}", seq.Items[i].Location,
                    "keep one: a route does one thing once matched"));
            var (kind, sectionNode) = sections.Count > 0 ? sections[0] : (kinds.Default, null);
            var matchNode = r.Node("match");
            var m = new MappingReader(matchNode, errors, "match conditions");
            // Some routes take their paths elsewhere (gRPC annotations, from the .proto); their match.path, when given, is a prefix.
            var matchOptional = sectionNode is not null && kind.MatchOptional(sectionNode);
            if (matchNode is null && !matchOptional) r.Missing("match", "say what the route matches, e.g. match: { path: \"/api/users/{id}\" }");
            var path = m.String("path", required: m.Exists && !matchOptional, hint: "a path template such as /api/users/{id} or /{**rest}") ?? (matchOptional ? "" : "/");
            var methods = m.StringList("methods").Select(x => x.ToUpperInvariant()).ToList();
            var hosts = m.StringList("hosts");
            var headers = BindConditions(m, "headers");
            var query = BindConditions(m, "query");
            var accept = m.StringList("accept");
            m.Done();

            SplitDefinition? split = null;
            if (r.Node("split") is { } sn)
            {
                var targets = new List<SplitTarget>();
                foreach (var (svc, w) in r.Entries("split"))
                {
                    if (w is ConfigScalar { Value: { } wv } && int.TryParse(wv, out var weight) && weight >= 0) targets.Add(new SplitTarget(svc.Value!, weight));
                    else errors.Add(new ConfigError(w.Path, $"weight '{(w as ConfigScalar)?.Value}' is not a whole number ≥ 0", w.Location, "weights are relative, e.g. split: { users: 90, users-v2: 10 }"));
                }
                split = new SplitDefinition(targets, null);
            }
            if (r.Node("sticky") is { } stickyNode)
            {
                var st = new MappingReader(stickyNode, errors, "sticky pinning");
                var header = st.String("header");
                var cookie = st.String("cookie");
                if ((header is null) == (cookie is null)) st.Error(stickyNode, "give exactly one of 'header' or 'cookie'", "sticky: { cookie: canary } or sticky: { header: X-User-Id }");
                else if (split is null) st.Error(stickyNode, "'sticky' only applies to a route with 'split'", "add split: { a: 90, b: 10 } or remove sticky");
                else split = split with { Sticky = new StickyDefinition(header is not null ? StickyKind.Header : StickyKind.Cookie, (header ?? cookie)!, st.Duration("cookieTtl") ?? TimeSpan.FromDays(7)) };
                st.Done();
            }
            var headersNode = new MappingReader(r.Node("headers"), errors, "header transforms");
            var requestHeaders = BindHeaderTransforms(headersNode.Node("request"), errors);
            var responseHeaders = BindHeaderTransforms(headersNode.Node("response"), errors);
            headersNode.Done();
            list.Add(BindRouteAuth(r, new RouteDefinition(name, i, r.Has("gateways") ? r.StringList("gateways") : null,
                new RouteMatch(path, methods, hosts, headers, query, accept),
                r.String("service"), split, r.String("rewrite"), requestHeaders, responseHeaders, r.Duration("timeout"), r.Int("order") ?? 0,
                RateLimit: r.String("rateLimit"), Cache: r.String("cache"), Formats: BindFormats(r), Xml: BindXmlFormat(r, errors),
                OtherMethods: r.Enum("otherMethods", OtherMethodsNames), Kind: kind.BindRoute(r, sectionNode, errors),
                Policies: r.Has("policies") ? r.StringList("policies") : null)));
            r.Done();
        }
        return list;
    }

    static List<ValueCondition> BindConditions(MappingReader m, string key)
    {
        var list = new List<ValueCondition>();
        foreach (var (name, value) in m.Entries(key))
        {
            var values = m.StringList(value);
            list.Add(new ValueCondition(name.Value!, values.Count == 1 && values[0] == "*" ? [] : values));
        }
        return list;
    }

    static HeaderTransforms BindHeaderTransforms(ConfigNode? node, List<ConfigError> errors)
    {
        if (node is null) return HeaderTransforms.None;
        var r = new MappingReader(node, errors, "header transforms");
        static List<KeyValuePair<string, string>> Pairs(MappingReader r, string key) =>
            r.Entries(key).Select(e => new KeyValuePair<string, string>(e.Key.Value!, (e.Value as ConfigScalar)?.Value ?? "")).ToList();
        var result = new HeaderTransforms(Pairs(r, "set"), Pairs(r, "append"), r.StringList("remove"), r.StringList("keep"));
        r.Done();
        return result;
    }
}

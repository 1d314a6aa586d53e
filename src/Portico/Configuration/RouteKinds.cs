
namespace Portico.Configuration;

/// What a route of one kind holds beyond the keys every route has: its section as bound and, once validated, the
/// plan compiled from it. The validated section is what the runtime takes, so no plan is compiled twice.
internal abstract record RouteKindSection
{
    /// The key of the kind that bound the section (`proxy`, `aggregate`, `grpc`, …).
    public abstract string Kind { get; }

    /// What `portico routes` shows as the route's target.
    public abstract string Describe(RouteDefinition route);
}

/// The keys a service of a protocol adds beside the common ones (`proto:` for gRPC, `url:` for AMQP).
internal abstract record ServiceProtocolSection
{
    /// Everything in the section that makes two services behave differently, never a secret in clear: equal
    /// fingerprints let a reload keep the service's connections.
    public abstract string Fingerprint { get; }
}

/// The config half of a route kind: what a route does once matched. While binding, the loader hands the kind the
/// route's section under <see cref="Key"/> (<see cref="BindRoute"/>) and, for a kind with a <see cref="Protocol"/>,
/// the keys of each service of that protocol (<see cref="BindService"/>); once everything is bound,
/// <see cref="Prepare"/>; while validating, <see cref="Compile"/> for each route of the kind. The runtime half is
/// <see cref="Runtime.RouteKind"/>.
internal abstract class RouteKindConfig
{
    /// The route key that selects the kind (`aggregate`, `grpc`); for the default kind, its name.
    public abstract string Key { get; }

    /// The kind of routes that have no other kind's key: forwarding to a service (there is one).
    public virtual bool IsDefault => false;

    /// The `protocol:` of the services only this kind's routes call (`grpc`); null when the kind calls HTTP services.
    public virtual string? Protocol => null;

    /// Services of <see cref="Protocol"/> give their address in the kind's own keys (`url: amqp://…`), not as HTTP base URLs.
    public virtual bool OwnsAddress => false;

    /// Whether services of <see cref="Protocol"/> still answer plain HTTP calls (an aggregate part may call them).
    public virtual bool ServicesAnswerHttp => false;

    /// A route without its own section may leave out `match` (gRPC's annotated routes take paths from the .proto).
    public virtual bool MatchOptional(ConfigNode section) => false;

    /// Binds the kind's section of a route (<paramref name="section"/> is null for the default kind); null when the
    /// section is unusable (its errors are reported), which leaves the route out of the kind's checks.
    public abstract RouteKindSection? BindRoute(MappingReader route, ConfigNode? section, List<ConfigError> errors);

    /// Binds the protocol's keys of a service whose `protocol:` is <see cref="Protocol"/>.
    public virtual ServiceProtocolSection? BindService(MappingReader service, List<ConfigError> errors) => null;

    /// After binding, before validation: loads what the kind's sections refer to and may expand one route into
    /// several. <paramref name="directory"/> is where relative files are (null when loading text without a file).
    public virtual PorticoConfig Prepare(PorticoConfig config, ConfigSourceMap where, string? directory, List<ConfigError> errors) => config;

    /// The common service keys (`health`, `retry`, `circuitBreaker`) that a service of <see cref="Protocol"/> refuses.
    public virtual IReadOnlyList<string> UnsupportedServiceKeys => [];

    /// "a gRPC", "an AMQP": how an error names a service of <see cref="Protocol"/>.
    public virtual string ServiceArticle => $"a {Protocol}";

    /// The hint for a key of <see cref="UnsupportedServiceKeys"/>: what the protocol does instead.
    public virtual string UnsupportedServiceKeysHint => "remove it";

    /// Checks a route of this kind against the rest of the config and compiles its plan: the section to keep, or
    /// null when it does not compile (the errors are reported through <paramref name="check"/>).
    public abstract RouteKindSection? Compile(RouteKindSection section, RouteCheck check);

    /// The error for a route of another kind that calls a service of <see cref="Protocol"/>: message and hint.
    public virtual (string Message, string Hint) MissingSection(ServiceDefinition service) =>
        ($"service '{service.Name}' speaks {Protocol}: the route must hold a '{Key}' section", $"add {Key}: {{ … }}");
}

/// The route kinds a loader knows, by key and by service protocol; the first default kind takes routes without a key.
internal sealed class RouteKindSet
{
    readonly Dictionary<string, RouteKindConfig> _byKey = new(StringComparer.Ordinal);
    readonly Dictionary<string, RouteKindConfig> _byProtocol = new(StringComparer.Ordinal);

    public RouteKindSet(IEnumerable<RouteKindConfig> kinds)
    {
        foreach (var kind in kinds)
        {
            if (!_byKey.TryAdd(kind.Key, kind)) throw new ArgumentException($"two route kinds have the key '{kind.Key}'", nameof(kinds));
            if (kind.IsDefault) Default ??= kind;
            else Keyed.Add(kind);
            if (kind.Protocol is { } protocol && !_byProtocol.TryAdd(protocol, kind))
                throw new ArgumentException($"two route kinds own the service protocol '{protocol}'", nameof(kinds));
        }
        if (Default is null) throw new ArgumentException("no default route kind", nameof(kinds));
    }

    /// The kind of routes without another kind's key.
    public RouteKindConfig Default { get; }

    /// The kinds a route selects by holding their key.
    public List<RouteKindConfig> Keyed { get; } = [];

    /// Every `protocol:` a service may have: `http` and the kinds' protocols.
    public IEnumerable<string> Protocols => _byProtocol.Keys.Prepend(ServiceDefinition.HttpProtocol);

    public RouteKindConfig For(RouteKindSection section) => _byKey[section.Kind];

    public RouteKindConfig? ForProtocol(string protocol) => _byProtocol.GetValueOrDefault(protocol);
}

/// What a kind's <see cref="RouteKindConfig.Compile"/> checks a route against, and where it reports errors.
internal sealed class RouteCheck(PorticoConfig config, ConfigSourceMap where, List<ConfigError> errors, RouteKindSet kinds)
{
    readonly Dictionary<string, ServiceDefinition> _services = config.Services.GroupBy(s => s.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    public PorticoConfig Config => config;
    public RouteKindSet Kinds => kinds;

    /// The route being checked (set per route by the validator).
    public RouteDefinition Route { get; internal set; } = null!;

    /// The route's parsed path template; null when it did not parse (reported already).
    public PathTemplate? Template => Route.Template;

    /// `routes[i]`: where the route's keys are.
    public string At => Route.ConfigPath;

    /// The route's `service`, when it names a known one.
    public ServiceDefinition? Service => Route.Service is { } name ? _services.GetValueOrDefault(name) : null;

    public IReadOnlyCollection<string> ServiceNames => _services.Keys;

    public ServiceDefinition? FindService(string name) => _services.GetValueOrDefault(name);

    public bool HasLocation(string path) => where.Has(path);

    public void Error(string path, string message, string? hint = null) => errors.Add(new ConfigError(path, message, where.Find(path), hint));

    /// The route calls one known service of <paramref name="kind"/>'s protocol, without a rewrite; false when it
    /// cannot (the reason is reported), so the kind's own checks that need the service are skipped.
    public bool SingleServiceOf(RouteKindConfig kind, string article, string addHint)
    {
        var at = $"{At}.{kind.Key}";
        if (Route.Service is null)
        {
            Error(at, $"{article} route needs one 'service' (no split or aggregate)", $"add service: <a protocol: {kind.Protocol} service>");
            return false;
        }
        if (Route.Rewrite is not null) Error($"{At}.rewrite", $"'rewrite' does not apply to {article} route", "remove it");
        if (Service is not { } service) return false; // unknown service: reported by the validator
        if (service.Protocol != kind.Protocol)
        {
            Error(at, $"service '{service.Name}' is not {article} service", $"add {addHint} to service '{service.Name}'");
            return false;
        }
        return true;
    }
}


namespace Portico.Configuration;

/// <summary>
/// A whole Portico configuration, bound from YAML, JSON or an <c>IConfiguration</c> section and validated: what
/// <see cref="Hosting.ConfigLoader"/> returns and <see cref="Hosting.PorticoOptions.Config"/> takes. Immutable; its
/// content is Portico's own (the config file's shape is documented in docs/configuration.md).
/// </summary>
public sealed record PorticoConfig
{
    internal PorticoConfig(
        IReadOnlyList<GatewayDefinition> Gateways,
        IReadOnlyList<ServiceDefinition> Services,
        IReadOnlyList<RouteDefinition> Routes,
        ServerDefinition Server,
        AuthDefinition? Auth = null,
        StoreDefinition? Store = null,
        IReadOnlyList<RateLimitDefinition>? RateLimits = null,
        IReadOnlyList<string>? TrustedProxies = null,
        IReadOnlyList<CachePolicyDefinition>? CachePolicies = null)
    {
        this.Gateways = Gateways;
        this.Services = Services;
        this.Routes = Routes;
        this.Server = Server;
        this.Auth = Auth;
        this.Store = Store;
        this.RateLimits = RateLimits;
        this.TrustedProxies = TrustedProxies;
        this.CachePolicies = CachePolicies;
    }

    internal IReadOnlyList<GatewayDefinition> Gateways { get; init; }
    internal IReadOnlyList<ServiceDefinition> Services { get; init; }
    internal IReadOnlyList<RouteDefinition> Routes { get; init; }
    internal ServerDefinition Server { get; init; }
    internal AuthDefinition? Auth { get; init; }
    internal StoreDefinition? Store { get; init; }
    internal IReadOnlyList<RateLimitDefinition>? RateLimits { get; init; }
    internal IReadOnlyList<string>? TrustedProxies { get; init; }
    internal IReadOnlyList<CachePolicyDefinition>? CachePolicies { get; init; }
    internal TelemetryDefinition Telemetry { get; init; } = TelemetryDefinition.Default;

    /// <summary>The named gateways the config defines, in order.</summary>
    public IReadOnlyList<string> GatewayNames => [.. Gateways.Select(g => g.Name)];

    /// <summary>The names of the config's routes, in order.</summary>
    public IReadOnlyList<string> RouteNames => [.. Routes.Select(r => r.Name)];

    /// <summary>The addresses <paramref name="gateway"/> listens on, as written in the config (empty for an unknown name).</summary>
    public IReadOnlyList<string> ListenAddressesOf(string gateway) => Gateways.FirstOrDefault(g => g.Name == gateway)?.Listen ?? [];

    internal ServiceDefinition? FindService(string name) => Services.FirstOrDefault(s => s.Name == name);
}

/// <summary>Process-wide settings.</summary>
/// <param name="CacheSize">Bytes the in-memory response cache may hold (least recently used entries go first).</param>
/// <param name="CacheMaxBodySize">Larger responses are not cached.</param>
/// <param name="BufferedBodies">Bytes of buffered bodies the process may hold at once; null for the default (see
/// <see cref="Http.BufferedBodyBudget.DefaultLimit"/>).</param>
internal sealed record ServerDefinition(TimeSpan ShutdownTimeout, long? MaxRequestBodySize, int MaxRequestHeadersTotalSize, string LogFormat, string LogLevel,
    long CacheSize = ServerDefinition.DefaultCacheSize, long CacheMaxBodySize = ServerDefinition.DefaultCacheMaxBodySize, long? BufferedBodies = null)
{
    public const long DefaultCacheSize = 100 * 1024 * 1024;
    public const long DefaultCacheMaxBodySize = 8 * 1024 * 1024;

    public static readonly ServerDefinition Default = new(TimeSpan.FromSeconds(30), 30 * 1024 * 1024, 32 * 1024, "json", "Information");
}

/// <summary>One named gateway (one per client type): its listeners and defaults.</summary>
internal sealed record GatewayDefinition(
    string Name,
    IReadOnlyList<string> Listen,
    TimeSpan? Timeout,
    HeaderTransforms RequestHeaders,
    HeaderTransforms ResponseHeaders,
    string? LivePath,
    string? ReadyPath,
    TlsDefinition? Tls,
    IReadOnlyList<string>? Auth = null,
    string? RateLimit = null,
    IReadOnlyList<string>? Formats = null,
    XmlFormatDefinition? Xml = null,
    PathsDefinition? Paths = null)
{
    /// <summary>The gateway's access log switch and trace-context trust.</summary>
    public GatewayTelemetry Telemetry { get; init; } = GatewayTelemetry.Default;

    public const string DefaultName = "default";
    public const string DefaultListen = "http://127.0.0.1:8080";
}

internal sealed record TlsDefinition(string Certificate, string? Key, string? Password);

internal enum LoadBalancingPolicy { RoundRobin, LeastRequests, PowerOfTwoChoices, First, Random }

/// <summary>A logical upstream: several URLs, balanced, health-checked, with reliability policies.</summary>
internal sealed record ServiceDefinition(
    string Name,
    IReadOnlyList<Uri> Urls,
    LoadBalancingPolicy LoadBalancing,
    ActiveHealthDefinition? Health,
    PassiveHealthDefinition PassiveHealth,
    TimeSpan Timeout,
    RetryDefinition? Retry,
    CircuitBreakerDefinition? CircuitBreaker,
    TimeSpan ConnectTimeout,
    int? MaxConnectionsPerServer,
    bool Required,
    string Protocol = ServiceDefinition.HttpProtocol,
    ServiceProtocolSection? ProtocolSection = null)
{
    /// <summary>The `protocol:` of a plain HTTP service, the default.</summary>
    public const string HttpProtocol = "http";
}

internal sealed record ActiveHealthDefinition(string Path, TimeSpan Interval, TimeSpan Timeout, int HealthyThreshold, int UnhealthyThreshold);

internal sealed record PassiveHealthDefinition(bool Enabled, int ConsecutiveFailures, TimeSpan EjectFor)
{
    public static readonly PassiveHealthDefinition Default = new(true, 5, TimeSpan.FromSeconds(30));
}

/// <summary>Retries apply to idempotent methods without a body, on connection failures, timeouts and the listed statuses.</summary>
internal sealed record RetryDefinition(int Attempts, TimeSpan Backoff, TimeSpan MaxBackoff, IReadOnlyList<int> OnStatus, double BudgetRatio, int BudgetMinPerSecond);

internal sealed record CircuitBreakerDefinition(double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakFor);

/// <summary>One route: what it matches and where it sends the request.</summary>
internal sealed record RouteDefinition(
    string Name,
    int Index,
    IReadOnlyList<string>? Gateways,
    RouteMatch Match,
    string? Service,
    SplitDefinition? Split,
    string? Rewrite,
    HeaderTransforms RequestHeaders,
    HeaderTransforms ResponseHeaders,
    TimeSpan? Timeout,
    int Order,
    IReadOnlyList<string>? Auth = null,
    IReadOnlyList<string>? Scopes = null,
    bool Anonymous = false,
    bool PassCredentials = false,
    string? RateLimit = null,
    IReadOnlyList<string>? Formats = null,
    XmlFormatDefinition? Xml = null,
    IReadOnlyList<ValueCondition>? Claims = null,
    string? Cache = null,
    OtherMethodsAction? OtherMethods = null,
    RouteKindSection? Kind = null,
    IReadOnlyList<string>? Policies = null)
{
    public string ConfigPath => $"routes[{Index}]";

    /// <summary>The parsed `match.path`, set when the config is validated (null until then, or when it does not parse).</summary>
    public PathTemplate? Template { get; init; }

    /// <summary>
    /// The auth schemes the route accepts on <paramref name="gateway"/>: none when anonymous, else the route's
    /// list, else the gateway's default.
    /// </summary>
    public IReadOnlyList<string> SchemesOn(GatewayDefinition gateway) => Anonymous ? [] : Auth ?? gateway.Auth ?? [];
}

/// <summary>
/// What happens to a request whose path and conditions match a route with `methods:` but whose method it does
/// not take: answered 405 (reject), or left to the next route that matches (next). Null: see <see cref="Routing.MethodFallThrough"/>.
/// </summary>
internal enum OtherMethodsAction { Reject, Next }

internal sealed record RouteMatch(
    string Path,
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<ValueCondition> Headers,
    IReadOnlyList<ValueCondition> Query,
    IReadOnlyList<string> Accept)
{
    public int ConditionCount => (Methods.Count > 0 ? 1 : 0) + (Hosts.Count > 0 ? 1 : 0) + Headers.Count + Query.Count + (Accept.Count > 0 ? 1 : 0);
}

/// <summary>A header or query parameter that must be present, with one of <see cref="Values"/> (any value when empty).</summary>
internal sealed record ValueCondition(string Name, IReadOnlyList<string> Values)
{
    public bool Equivalent(ValueCondition other) =>
        string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase)
        && Values.Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(other.Values.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
}

internal sealed record SplitDefinition(IReadOnlyList<SplitTarget> Targets, StickyDefinition? Sticky);

internal sealed record SplitTarget(string Service, int Weight);

internal enum StickyKind { Header, Cookie }

internal sealed record StickyDefinition(StickyKind Kind, string Name, TimeSpan CookieTtl);

/// <param name="Keep">Client request headers the gateway drops by default (names with '_', method-override and
/// URL-override headers) that are forwarded anyway; request side only.</param>
internal sealed record HeaderTransforms(IReadOnlyList<KeyValuePair<string, string>> Set, IReadOnlyList<KeyValuePair<string, string>> Append, IReadOnlyList<string> Remove,
    IReadOnlyList<string>? Keep = null)
{
    public static readonly HeaderTransforms None = new([], [], []);
    public bool IsEmpty => Set.Count == 0 && Append.Count == 0 && Remove.Count == 0;
}


namespace Portico.Configuration;

/// The whole configuration, bound from YAML/JSON and validated. Immutable; compiled into a runtime snapshot.
public sealed record PorticoConfig(
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
    public ServiceDefinition? FindService(string name) => Services.FirstOrDefault(s => s.Name == name);
}

/// Process-wide settings.
/// <param name="CacheSize">Bytes the in-memory response cache may hold (least recently used entries go first).</param>
/// <param name="CacheMaxBodySize">Larger responses are not cached.</param>
/// <param name="BufferedBodies">Bytes of buffered bodies the process may hold at once; null for the default (see
/// <see cref="Http.BufferedBodyBudget.DefaultLimit"/>).</param>
public sealed record ServerDefinition(TimeSpan ShutdownTimeout, long? MaxRequestBodySize, int MaxRequestHeadersTotalSize, string LogFormat, string LogLevel,
    long CacheSize = ServerDefinition.DefaultCacheSize, long CacheMaxBodySize = ServerDefinition.DefaultCacheMaxBodySize, long? BufferedBodies = null)
{
    public const long DefaultCacheSize = 100 * 1024 * 1024;
    public const long DefaultCacheMaxBodySize = 8 * 1024 * 1024;

    public static readonly ServerDefinition Default = new(TimeSpan.FromSeconds(30), 30 * 1024 * 1024, 32 * 1024, "json", "Information");
}

/// One named gateway (one per client type): its listeners and defaults.
public sealed record GatewayDefinition(
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
    public const string DefaultName = "default";
    public const string DefaultListen = "http://127.0.0.1:8080";
}

public sealed record TlsDefinition(string Certificate, string? Key, string? Password);

public enum LoadBalancingPolicy { RoundRobin, LeastRequests, PowerOfTwoChoices, First, Random }

/// A logical upstream: several URLs, balanced, health-checked, with reliability policies.
public sealed record ServiceDefinition(
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
    /// The `protocol:` of a plain HTTP service, the default.
    public const string HttpProtocol = "http";
}

public sealed record ActiveHealthDefinition(string Path, TimeSpan Interval, TimeSpan Timeout, int HealthyThreshold, int UnhealthyThreshold);

public sealed record PassiveHealthDefinition(bool Enabled, int ConsecutiveFailures, TimeSpan EjectFor)
{
    public static readonly PassiveHealthDefinition Default = new(true, 5, TimeSpan.FromSeconds(30));
}

/// Retries apply to idempotent methods without a body, on connection failures, timeouts and the listed statuses.
public sealed record RetryDefinition(int Attempts, TimeSpan Backoff, TimeSpan MaxBackoff, IReadOnlyList<int> OnStatus, double BudgetRatio, int BudgetMinPerSecond);

public sealed record CircuitBreakerDefinition(double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakFor);

/// One route: what it matches and where it sends the request.
public sealed record RouteDefinition(
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

    /// The parsed `match.path`, set when the config is validated (null until then, or when it does not parse).
    public PathTemplate? Template { get; init; }

    /// The auth schemes the route accepts on <paramref name="gateway"/>: none when anonymous, else the route's
    /// list, else the gateway's default.
    public IReadOnlyList<string> SchemesOn(GatewayDefinition gateway) => Anonymous ? [] : Auth ?? gateway.Auth ?? [];
}

/// What happens to a request whose path and conditions match a route with `methods:` but whose method it does
/// not take: answered 405 (reject), or left to the next route that matches (next). Null: see <see cref="Routing.MethodFallThrough"/>.
public enum OtherMethodsAction { Reject, Next }

public sealed record RouteMatch(
    string Path,
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<ValueCondition> Headers,
    IReadOnlyList<ValueCondition> Query,
    IReadOnlyList<string> Accept)
{
    public int ConditionCount => (Methods.Count > 0 ? 1 : 0) + (Hosts.Count > 0 ? 1 : 0) + Headers.Count + Query.Count + (Accept.Count > 0 ? 1 : 0);
}

/// A header or query parameter that must be present, with one of <see cref="Values"/> (any value when empty).
public sealed record ValueCondition(string Name, IReadOnlyList<string> Values)
{
    public bool Equivalent(ValueCondition other) =>
        string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase)
        && Values.Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(other.Values.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
}

public sealed record SplitDefinition(IReadOnlyList<SplitTarget> Targets, StickyDefinition? Sticky);

public sealed record SplitTarget(string Service, int Weight);

public enum StickyKind { Header, Cookie }

public sealed record StickyDefinition(StickyKind Kind, string Name, TimeSpan CookieTtl);

/// <param name="Keep">Client request headers the gateway drops by default (names with '_', method-override and
/// URL-override headers) that are forwarded anyway; request side only.</param>
public sealed record HeaderTransforms(IReadOnlyList<KeyValuePair<string, string>> Set, IReadOnlyList<KeyValuePair<string, string>> Append, IReadOnlyList<string> Remove,
    IReadOnlyList<string>? Keep = null)
{
    public static readonly HeaderTransforms None = new([], [], []);
    public bool IsEmpty => Set.Count == 0 && Append.Count == 0 && Remove.Count == 0;
}

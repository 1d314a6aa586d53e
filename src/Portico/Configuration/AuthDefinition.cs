namespace Portico.Configuration;

/// The `auth:` section: which edge schemes exist and how, the consumers that own API keys, and the identity
/// headers sent to upstreams. Routes pick schemes by name (<see cref="AuthSchemes"/>).
internal sealed record AuthDefinition(
    ApiKeyDefinition? ApiKey,
    JwtDefinition? Jwt,
    IReadOnlyList<ConsumerDefinition> Consumers,
    IdentityHeadersDefinition IdentityHeaders,
    string ConsumersFile = AuthDefinition.DefaultConsumersFile,
    BasicDefinition? Basic = null,
    SessionDefinition? Session = null)
{
    /// Where consumers and keys created at runtime (`portico consumers add`, `portico keys create -c`) are kept,
    /// relative to the config file's folder.
    public const string DefaultConsumersFile = "portico-consumers.json";

    public static readonly AuthDefinition None = new(null, null, [], IdentityHeadersDefinition.Default);

    /// The scheme names this config defines, in a stable order.
    public IReadOnlyList<string> Schemes => [.. new[] { ApiKey is null ? null : AuthSchemes.ApiKey, Jwt is null ? null : AuthSchemes.Jwt, Basic is null ? null : AuthSchemes.Basic, Session is null ? null : AuthSchemes.Session }.OfType<string>()];
}

/// Scheme names as routes and gateways write them.
internal static class AuthSchemes
{
    public const string ApiKey = "apikey";
    public const string Jwt = "jwt";
    public const string Basic = "basic";
    public const string Session = "session";
    public static readonly IReadOnlyList<string> Known = [ApiKey, Jwt, Basic, Session];
}

/// Cookie sessions: POST <see cref="LoginPath"/> on the gateway passes the credentials to <see cref="LoginService"/>
/// at <see cref="VerifyPath"/> (the service decides), then a session lives in the gateway's store behind an opaque cookie.
/// <param name="Store">Where sessions live; null follows the top-level `store` (memory, or Redis for every node).</param>
internal sealed record SessionDefinition(string Cookie, string LoginService, string VerifyPath, TimeSpan Ttl, TimeSpan Idle, bool Secure, string LoginPath, string LogoutPath,
    StoreKind? Store = null);

/// HTTP Basic for legacy clients: user name = consumer id, password = one of that consumer's API keys.
internal sealed record BasicDefinition(string Realm);

/// API keys are read from <see cref="Header"/> and, only when <see cref="QueryParameter"/> is set, from the query.
internal sealed record ApiKeyDefinition(string Header, string? QueryParameter)
{
    public const string DefaultHeader = "X-Api-Key";
}

/// A consumer (an application or user of the API) with its scopes and API key hashes.
/// <param name="Groups">Groups the consumer belongs to: a `groups` claim each (routes can require one with `claims: { groups: [...] }`).</param>
internal sealed record ConsumerDefinition(string Id, IReadOnlyList<string> Scopes, IReadOnlyList<ConsumerKeyDefinition> Keys, IReadOnlyList<string>? Groups = null);

/// One API key as stored: `sha256:&lt;64 hex&gt;` of the key text, optionally expiring.
internal sealed record ConsumerKeyDefinition(string Hash, DateTimeOffset? Expires);

/// JWT bearer validation with signing keys from a JWKS URL (refreshed periodically and when a token names an unknown
/// `kid`) or, exactly one of the two, from a static PEM public key file (<see cref="KeyFile"/>, relative to the config).
internal sealed record JwtDefinition(
    string Issuer,
    IReadOnlyList<string> Audiences,
    Uri? Jwks,
    IReadOnlyList<string> Algorithms,
    TimeSpan ClockSkew,
    TimeSpan JwksRefresh,
    TimeSpan JwksMinRefresh,
    string SubjectClaim,
    string? ScopeClaim,
    int MaxTokenSize,
    string? KeyFile = null)
{
    public static readonly IReadOnlyList<string> DefaultAlgorithms = ["RS256"];
    public static readonly IReadOnlyList<string> SupportedAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];
}

/// Headers the gateway sets on upstream requests after authentication (and always removes from client requests).
internal sealed record IdentityHeadersDefinition(string Subject, string Scopes, string Consumer, string Method, string Groups = IdentityHeadersDefinition.DefaultGroups)
{
    public const string DefaultGroups = "X-Consumer-Groups";
    public static readonly IdentityHeadersDefinition Default = new("X-User-Id", "X-User-Scopes", "X-Consumer", "X-Auth-Method");
    public IEnumerable<string> All => [Subject, Scopes, Consumer, Method, Groups];
}

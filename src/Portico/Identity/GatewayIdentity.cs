namespace Portico.Identity;

/// <summary>
/// Who the gateway decided the caller is, after edge authentication. Set once per request as a typed
/// HttpContext feature (`context.Features.Set(identity)`, absent on anonymous requests); rate limiting, caching,
/// aggregation and identity headers read it with `context.Features.Get&lt;GatewayIdentity&gt;()`.
/// </summary>
/// <param name="Subject">The user or client the credential names (JWT `sub`, the session's user, the consumer id).</param>
/// <param name="Consumer">The consumer (application) id when the credential belongs to one (API key, Basic), else null.</param>
/// <param name="Scopes">Granted scopes, deduplicated.</param>
/// <param name="Method">The scheme that authenticated the request: apikey, jwt, session or basic.</param>
/// <param name="Groups">The caller's groups: a consumer's, or a token's `groups` claim.</param>
public sealed record GatewayIdentity(string Subject, string? Consumer, IReadOnlyList<string> Scopes, string Method, IReadOnlyList<string>? Groups = null)
{
    // Computed once: an identity is built once per credential and read on every request that carries it. (Not
    // recomputed by `with`, which nothing uses; the record is otherwise immutable.)

    /// <summary>The key that identifies the caller for per-caller policies (rate limits, cache partitions).</summary>
    public string CallerKey { get; } = Consumer is null ? $"sub:{Subject}" : $"consumer:{Consumer}";

    /// <summary>The scopes as one space-separated header value.</summary>
    internal string ScopesText { get; } = string.Join(' ', Scopes);

    /// <summary>The groups as one space-separated header value (empty when none).</summary>
    internal string GroupsText { get; } = Groups is null ? "" : string.Join(' ', Groups);

    /// <summary>
    /// What makes this identity impossible to forward as header values (see <see cref="Http.HeaderValue"/>), null
    /// when every value is safe. Edge authentication refuses the credential then, so no writer ever sees it.
    /// </summary>
    internal string? Flaw { get; } = Http.HeaderValue.Flaw(Subject) ?? Http.HeaderValue.Flaw(Consumer) ?? Http.HeaderValue.Flaw(Method)
        ?? Http.HeaderValue.Flaw(string.Join(' ', Scopes)) ?? (Groups is null ? null : Http.HeaderValue.Flaw(string.Join(' ', Groups)));

    /// <summary>
    /// Hands each identity header (name from <paramref name="names"/>, value from this identity) to
    /// <paramref name="add"/>: subject and method always, consumer, scopes and groups when there are any. Every way
    /// the gateway calls a service (proxy, aggregate parts, gRPC metadata, GraphQL, AMQP headers) sends the same set.
    /// An identity with a <see cref="Flaw"/> writes nothing: its values would inject header lines.
    /// </summary>
    internal void WriteHeaders<TTarget>(Configuration.IdentityHeadersDefinition names, TTarget target, Action<TTarget, string, string> add)
    {
        if (Flaw is not null) return;
        add(target, names.Subject, Subject);
        add(target, names.Method, Method);
        if (Consumer is not null) add(target, names.Consumer, Consumer);
        if (Scopes.Count > 0) add(target, names.Scopes, ScopesText);
        if (Groups is { Count: > 0 }) add(target, names.Groups, GroupsText);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Problems;
using Portico.Runtime;

namespace Portico.Routing;

/// Before routing: replaces the request path with its one normalized form (<see cref="PathNormalizer"/>), under
/// the gateway's `paths:` policy, or answers 400 for a form the policy refuses. Matching, auth, rate limits,
/// the cache key and the upstream request then all see the same path. A plain path costs one scan.
internal sealed class PathNormalizationMiddleware(RequestDelegate next, RuntimeHolder runtime, ListenerMap listeners)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path is null || PathNormalizer.IsPlain(path)) return next(context);
        return NormalizeAsync(context, path);
    }

    Task NormalizeAsync(HttpContext context, string path)
    {
        var raw = RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget, path);
        var gateways = runtime.Current.Config.Gateways;
        var index = listeners.GatewayIndexFor(context);
        var policy = (uint)index < (uint)gateways.Count ? gateways[index].Paths ?? PathsDefinition.Default : PathsDefinition.Default;
        if (!PathNormalizer.TryNormalize(raw, policy, out var normalized, out var problem))
        {
            return Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadPath, "Bad Path",
                $"The request path contains {problem}, which this gateway refuses (see the gateway's 'paths' settings).");
        }
        if (!string.Equals(normalized, path, StringComparison.Ordinal)) context.Request.Path = new PathString(normalized);
        return next(context);
    }

    /// The still-encoded path of the request target: origin form as sent, the path of an absolute-form target,
    /// or the decoded path when there is no raw target to read (then it is normalized as if unencoded).
    static ReadOnlySpan<char> RawPath(string? target, string decoded)
    {
        if (string.IsNullOrEmpty(target)) return decoded;
        var span = target.AsSpan();
        if (span[0] != '/')
        {
            var scheme = span.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0) return decoded;
            var slash = span[(scheme + 3)..].IndexOf('/');
            span = slash < 0 ? "/" : span[(scheme + 3 + slash)..];
        }
        var query = span.IndexOf('?');
        return query < 0 ? span : span[..query];
    }
}

using Microsoft.AspNetCore.Http;
using Portico.Http;
using Portico.Routing;
using Portico.Runtime;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Proxy;

/// What a proxied route does to the request and response on the way through: path/query rewrite,
/// X-Forwarded-*, the upstream's own Host, configured header edits, and holding back retryable 5xx.
internal sealed class RouteTransformer(RewriteTemplate? rewrite, HeaderTransformPlan request, HeaderTransformPlan response, bool mayRetry, Auth.IdentityForwarding? identity = null,
    Http.ClientAddress? clients = null) : HttpTransformer
{
    readonly ClientHeaderFilter _clientHeaders = request.Keep.Length == 0 ? ClientHeaderFilter.Default : new ClientHeaderFilter(request.Keep);

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);

        // The upstream sees its own authority; the client's goes in X-Forwarded-Host.
        proxyRequest.Headers.Host = null;
        var headers = proxyRequest.Headers;
        RemoveConnectionListedHeaders(httpContext.Request.Headers.Connection, proxyRequest);
        headers.Remove("X-Forwarded-For");
        headers.Remove("X-Forwarded-Proto");
        headers.Remove("X-Forwarded-Host");
        headers.Remove("Forwarded");
        // From a trusted proxy the chain it reports is kept and extended; from anyone else it is a claim, replaced.
        var incoming = httpContext.Request.Headers;
        var trustedPeer = clients?.IsTrustedPeer(httpContext) == true;
        var remote = httpContext.Connection.RemoteIpAddress;
        if (remote is not null)
        {
            if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
            var chain = incoming["X-Forwarded-For"];
            var chainText = trustedPeer && chain.Count > 0 ? string.Join(", ", chain.ToArray()) : null;
            headers.TryAddWithoutValidation("X-Forwarded-For", chainText is not null && HeaderValue.IsSafe(chainText) ? $"{chainText}, {remote}" : remote.ToString());
        }
        // A trusted proxy's report is copied only when it is a safe header value; otherwise the gateway's own view replaces it.
        var proto = incoming["X-Forwarded-Proto"].ToString();
        headers.TryAddWithoutValidation("X-Forwarded-Proto", trustedPeer && proto.Length > 0 && HeaderValue.IsSafe(proto) ? proto : httpContext.Request.Scheme);
        var host = incoming["X-Forwarded-Host"].ToString();
        if (trustedPeer && host.Length > 0 && HeaderValue.IsSafe(host)) headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        else if (httpContext.Request.Host.HasValue && HeaderValue.IsSafe(httpContext.Request.Host.Value)) headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);

        if (rewrite is not null)
        {
            var (path, query) = rewrite.Apply(httpContext.Request.RouteValues, httpContext.Request.QueryString, httpContext.Features.Get<Identity.GatewayIdentity>());
            proxyRequest.RequestUri = UpstreamPath.Combine(destinationPrefix, path, query);
        }
        else if (httpContext.Request.Path.Value is { } raw && raw.Contains("%2F", StringComparison.OrdinalIgnoreCase))
        {
            // YARP would send Kestrel's still-encoded slash as "%252F".
            proxyRequest.RequestUri = UpstreamPath.Combine(destinationPrefix, UpstreamPath.Encode(raw), httpContext.Request.QueryString);
        }
        _clientHeaders.Apply(incoming, proxyRequest);
        if (!request.IsEmpty) request.ApplyTo(proxyRequest);
        // After the configured edits, so a header transform cannot reintroduce a stripped credential or an identity header.
        identity?.Apply(httpContext, proxyRequest, destinationPrefix);
        // Last: the upstream gets one traceparent, the attempt's client span's, whatever the client or an edit sent.
        if (System.Diagnostics.Activity.Current is { Kind: System.Diagnostics.ActivityKind.Client } span && span.Source == Telemetry.PorticoDiagnostics.Source)
            Telemetry.TraceContext.Inject(span, proxyRequest);
    }

    /// RFC 9110 §7.6.1: headers the client names in `Connection` are for this hop only. YARP drops the standard
    /// hop-by-hop headers but not these; "upgrade" stays, YARP handles upgrades itself.
    static void RemoveConnectionListedHeaders(Microsoft.Extensions.Primitives.StringValues connection, HttpRequestMessage proxyRequest)
    {
        foreach (var value in connection)
        {
            if (value is null || IsConnectionOption(value)) continue;
            foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (IsConnectionOption(token)) continue;
                proxyRequest.Headers.Remove(token);
                proxyRequest.Content?.Headers.Remove(token);
            }
        }
    }

    static bool IsConnectionOption(string token) =>
        token.Equals("upgrade", StringComparison.OrdinalIgnoreCase) || token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || token.Equals("close", StringComparison.OrdinalIgnoreCase);

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (mayRetry && proxyResponse is not null && httpContext.Features.Get<ForwardAttemptFeature>() is { } attempt
            && attempt.ShouldHoldBack((int)proxyResponse.StatusCode))
        {
            return false;
        }
        var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (proxyResponse is not null && proxyResponse.Headers.NonValidated.TryGetValues("Connection", out var connection))
        {
            // The upstream's hop-only headers (named in its Connection header) end at the gateway too.
            foreach (var value in connection)
            {
                if (IsConnectionOption(value)) continue;
                foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!IsConnectionOption(token)) httpContext.Response.Headers.Remove(token);
                }
            }
        }
        if (!response.IsEmpty) response.ApplyTo(httpContext.Response.Headers);
        return copy;
    }
}

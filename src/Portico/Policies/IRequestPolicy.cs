using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Portico.Http;
using Portico.Identity;

namespace Portico.Policies;

/// <summary>
/// A request policy of your own, in C#: a header check, a tenant lookup, anything a route should decide before the
/// service is called. Register it with <see cref="Hosting.PorticoOptions.AddPolicy{TPolicy}"/> under a name and
/// attach it to routes in the config with `policies: [name]`; a route naming a policy that is not registered is a
/// config error. It runs after Portico's authentication and authorization (the caller is known) and before rate
/// limits, the cache and the route's handler; a route's policies run in the order listed, and the first that
/// rejects answers.
/// </summary>
public interface IRequestPolicy
{
    /// <summary>
    /// Decides on one request. <see cref="PolicyResult.Continue"/> lets it go on; <see cref="PolicyResult.Reject"/>
    /// answers it with a problem+json of the status given, and the service never sees it. An exception answers 500
    /// (`urn:portico:problem:policy-failed`, the exception logged, not shown).
    /// </summary>
    ValueTask<PolicyResult> EvaluateAsync(RequestPolicyContext context);
}

/// <summary>What a policy decides about a request.</summary>
public sealed class PolicyResult
{
    PolicyResult(int status, string? title, string? detail)
    {
        Status = status;
        Title = title;
        Detail = detail;
    }

    /// <summary>Let the request go on.</summary>
    public static PolicyResult Continue { get; } = new(0, null, null);

    /// <summary>
    /// Answer the request with <paramref name="status"/> (400–599) as problem+json
    /// (`urn:portico:problem:policy-rejected`), with <paramref name="detail"/> for the client; nothing reaches the service.
    /// </summary>
    public static PolicyResult Reject(int status, string detail, string? title = null)
    {
        if (status is < 400 or > 599) throw new ArgumentOutOfRangeException(nameof(status), status, "a policy rejects with a 4xx or 5xx status");
        ArgumentException.ThrowIfNullOrEmpty(detail);
        return new PolicyResult(status, title ?? ReasonPhrases.GetReasonPhrase(status), detail);
    }

    internal bool Rejected => Status != 0;
    internal int Status { get; }
    internal string? Title { get; }
    internal string? Detail { get; }
}

/// <summary>One request as a policy sees it.</summary>
public sealed class RequestPolicyContext
{
    internal RequestPolicyContext(HttpContext httpContext, string route, string gateway)
    {
        HttpContext = httpContext;
        Route = route;
        Gateway = gateway;
    }

    /// <summary>The request (read what you need; the response is Portico's until the policy's result).</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The route's name.</summary>
    public string Route { get; }

    /// <summary>The gateway the request came in on.</summary>
    public string Gateway { get; }

    /// <summary>The authenticated caller, on a route with `auth`; null on an anonymous route.</summary>
    public GatewayIdentity? Identity => HttpContext.Features.Get<GatewayIdentity>();

    /// <summary>
    /// Sets a request header the service receives, replacing any value the client sent under that name
    /// (forwarding routes pass request headers on). The name must be a header token and the value visible ASCII,
    /// spaces and tabs; Portico's identity headers stay Portico's and are not passed on from here. The policies of a
    /// request set at most 100 headers of 16 KiB in all; over that, or with a bad name or value, the request is
    /// answered 500 (`policy-failed`) and the service sees nothing.
    /// </summary>
    public void SetRequestHeader(string name, string value)
    {
        if (!HeaderValue.IsToken(name)) throw new ArgumentException($"'{name}' is not a header name", nameof(name));
        if (HeaderValue.Flaw(value) is { } flaw) throw new ArgumentException($"the value of {name} holds {flaw}", nameof(value));
        _setHeaderBytes += name.Length + value.Length;
        if (++_setHeaders > MaxSetHeaders || _setHeaderBytes > MaxSetHeaderBytes)
            throw new InvalidOperationException($"policies may set at most {MaxSetHeaders} request headers of {MaxSetHeaderBytes} characters in all");
        HttpContext.Request.Headers[name] = value;
    }

    /// A request grown past these would be refused by the service's server (Kestrel takes 32 KiB of headers).
    internal const int MaxSetHeaders = 100, MaxSetHeaderBytes = 16 * 1024;
    int _setHeaders, _setHeaderBytes;
}

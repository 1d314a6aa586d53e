using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Portico.Auth;

/// The `basic` scheme, for legacy clients that can only send HTTP Basic: the user name is the consumer id and the
/// password one of its API keys, so Basic credentials are checked against the same hashes as API keys (and a
/// high-entropy key needs no slow password hash).
internal sealed class BasicAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, HandlerLoggerFactory logger, UrlEncoder encoder, TimeProvider time, RuntimeConsumers runtimeConsumers)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    const int MaxCredentialLength = 1024;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var auth = Context.GetEndpoint()?.Metadata.GetMetadata<RouteAuth>();
        if (auth?.Runtime.Definition.Basic is null) return Task.FromResult(AuthenticateResult.NoResult());
        var header = Request.Headers[HeaderNames.Authorization].ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var encoded = header.AsSpan(6).Trim();
        if (encoded.Length > MaxCredentialLength) return Fail("the Basic credentials are not valid");
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded.ToString()));
        }
        catch (FormatException)
        {
            return Fail("the Basic credentials are malformed");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return Fail("the Basic credentials are malformed");
        var user = decoded[..colon];
        var password = decoded[(colon + 1)..];
        var now = time.GetUtcNow();
        var outcome = ConsumerCredentials.Find(auth, runtimeConsumers, password, now, out var consumer);
        // The key must belong to the named consumer: a valid key under another name is refused like a wrong password.
        if (outcome == ConsumerKeyIndex.Outcome.Valid && consumer!.Id != user) outcome = ConsumerKeyIndex.Outcome.Unknown;
        return outcome switch
        {
            ConsumerKeyIndex.Outcome.Valid => ConsumerCredentials.Success(consumer!, Scheme.Name),
            ConsumerKeyIndex.Outcome.Expired => Fail("the Basic password (an API key) has expired"),
            _ => Fail("the Basic user name or password is not valid"),
        };
    }

    Task<AuthenticateResult> Fail(string reason)
    {
        Context.Features.Set(new AuthFailureFeature(Scheme.Name, reason));
        return Task.FromResult(AuthenticateResult.Fail(reason));
    }
}

using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Portico.Auth;

/// The `apikey` scheme: a key from the configured header (or, when enabled, query parameter) that belongs to a consumer.
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, HandlerLoggerFactory logger, UrlEncoder encoder, TimeProvider time, RuntimeConsumers runtimeConsumers)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    // Generated keys are 46 characters; anything far longer is not a key and is not worth hashing.
    const int MaxKeyLength = 512;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var auth = Context.GetEndpoint()?.Metadata.GetMetadata<RouteAuth>();
        if (auth?.Runtime.Definition.ApiKey is not { } settings) return Task.FromResult(AuthenticateResult.NoResult());
        var values = Request.Headers[settings.Header];
        if (values.Count == 0 && settings.QueryParameter is { } query) values = Request.Query[query];
        if (values.Count == 0 || string.IsNullOrEmpty(values[0])) return Task.FromResult(AuthenticateResult.NoResult());
        if (values.Count > 1) return Fail("more than one API key was sent");
        var key = values[0]!;
        if (key.Length > MaxKeyLength) return Fail("the API key is not valid");
        var now = time.GetUtcNow();
        var outcome = ConsumerCredentials.Find(auth, runtimeConsumers, key, now, out var consumer);
        return outcome switch
        {
            ConsumerKeyIndex.Outcome.Valid => ConsumerCredentials.Success(consumer!, Scheme.Name),
            ConsumerKeyIndex.Outcome.Expired => Fail("the API key has expired"),
            _ => Fail("the API key is not valid"),
        };
    }

    Task<AuthenticateResult> Fail(string reason)
    {
        Context.Features.Set(new AuthFailureFeature(Scheme.Name, reason));
        return Task.FromResult(AuthenticateResult.Fail(reason));
    }
}

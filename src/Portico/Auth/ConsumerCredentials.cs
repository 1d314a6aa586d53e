using Microsoft.AspNetCore.Authentication;
using Portico.Configuration;

namespace Portico.Auth;

/// What the `apikey` and `basic` schemes share: finding a consumer by one of its keys, and the ticket for it.
internal static class ConsumerCredentials
{
    /// Config consumers first, then those created at runtime (the consumers file).
    public static ConsumerKeyIndex.Outcome Find(RouteAuth auth, RuntimeConsumers runtime, string key, DateTimeOffset now, out ConsumerDefinition? consumer)
    {
        var outcome = auth.Runtime.Keys.Find(key, now, out consumer);
        return outcome == ConsumerKeyIndex.Outcome.Unknown ? runtime.Keys.Find(key, now, out consumer) : outcome;
    }

    public static Task<AuthenticateResult> Success(ConsumerDefinition consumer, string scheme) =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(AuthClaims.Principal(scheme, consumer.Id, consumer.Id, consumer.Scopes, groups: consumer.Groups), scheme)));
}

using System.Runtime.CompilerServices;
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

    // A consumer's ticket is the same on every request: built once per consumer definition (which a reload or a
    // consumers change replaces, taking its tickets with it) and scheme. Nothing downstream changes a ticket.
    static readonly ConditionalWeakTable<ConsumerDefinition, Tickets> TicketCache = new();

    sealed class Tickets
    {
        public Task<AuthenticateResult>? ApiKey;
        public Task<AuthenticateResult>? Basic;
    }

    public static Task<AuthenticateResult> Success(ConsumerDefinition consumer, string scheme)
    {
        var tickets = TicketCache.GetValue(consumer, static _ => new Tickets());
        ref var slot = ref scheme == AuthSchemes.Basic ? ref tickets.Basic : ref tickets.ApiKey;
        return slot ??= Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(
            AuthClaims.Principal(scheme, consumer.Id, consumer.Id, consumer.Scopes, groups: consumer.Groups), scheme)));
    }
}

using Portico.Configuration;

namespace Portico.Protocols.Amqp;

/// The broker side of a `protocol: amqp` service. Printing it never shows the password.
/// <param name="Broker">The amqp:// or amqps:// URI with credentials; null when the config gives an empty `url`
/// (no broker configured: the service's routes answer 503).</param>
/// <param name="RecoveryInterval">Time between connection attempts while the broker is unreachable.</param>
internal sealed record AmqpServiceDefinition(Uri? Broker, TimeSpan RecoveryInterval) : ServiceProtocolSection
{
    /// The broker URI hashed: fingerprints hold no credentials.
    public override string Fingerprint =>
        $"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Broker?.OriginalString ?? "")))},{RecoveryInterval.Ticks}";

    public static readonly TimeSpan DefaultRecoveryInterval = TimeSpan.FromSeconds(5);

    /// The broker's address for logs and messages: scheme, host, port and virtual host, never the credentials.
    public string Endpoint => Broker is null ? "(none)" : Redact(Broker);

    public static string Redact(Uri uri) => $"{uri.Scheme}://{uri.Host}:{(uri.Port > 0 ? uri.Port : uri.Scheme == "amqps" ? 5671 : 5672)}{uri.AbsolutePath}";

    public override string ToString() => $"AmqpServiceDefinition {{ Broker = {Endpoint}, RecoveryInterval = {RecoveryInterval} }}";
}

/// A route answered by publishing the request to a broker: fire-and-confirm (202), or RPC over direct reply-to.
/// <param name="Exchange">The exchange; "" is the default exchange (routing key = queue name).</param>
/// <param name="RoutingKey">The routing key, a template that may use values the path captured: `order.{kind}`.</param>
/// <param name="Rpc">Wait for a reply (direct reply-to) and answer with it, instead of answering 202.</param>
/// <param name="ContentTypes">Media types the request body must have (415 otherwise); empty accepts any.</param>
internal sealed record AmqpRouteDefinition(string Exchange, string RoutingKey, bool Rpc, IReadOnlyList<string> ContentTypes) : RouteKindSection
{
    public override string Kind => AmqpKind.Name;

    /// The parsed routing key, set when the config is validated; null before.
    public RoutingKeyTemplate? Key { get; init; }

    public override string Describe(RouteDefinition route) =>
        $"{route.Service} amqp {(Rpc ? "rpc" : "publish")} {(Exchange.Length == 0 ? "(default)" : Exchange)}/{RoutingKey}";
}

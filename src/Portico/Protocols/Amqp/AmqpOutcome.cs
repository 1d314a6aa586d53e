namespace Portico.Protocols.Amqp;

/// How a publish or an RPC call ended, as the HTTP side needs to answer it.
internal enum AmqpOutcomeKind
{
    /// The broker confirmed the message (publish), or the reply arrived (RPC).
    Accepted,
    /// The service's `url` is empty: there is no broker to talk to.
    NotConfigured,
    /// Not connected (down, unreachable, recovering) or the connection broke before the confirm or reply.
    Unavailable,
    /// Returned by the broker (mandatory flag): no queue is bound for the routing key.
    Unroutable,
    /// The broker said it could not take the message (basic.nack).
    Nacked,
    /// The broker closed the channel over the publish (e.g. the exchange does not exist).
    Refused,
    /// No confirm, or no reply, within the route's timeout.
    TimedOut,
}

/// A reply to an RPC call: its body, content type and the status it asks for (`http-status` header).
internal sealed record AmqpReply(byte[] Body, string? ContentType, int? Status);

/// The outcome of a publish or call; <see cref="Detail"/> is the broker's words (never credentials).
internal sealed record AmqpOutcome(AmqpOutcomeKind Kind, string? Detail = null, AmqpReply? Reply = null)
{
    public static readonly AmqpOutcome Confirmed = new(AmqpOutcomeKind.Accepted);
}

using Yarp.ReverseProxy.Forwarder;

namespace Portico.Resilience;

/// The result of one forwarding attempt, as seen by the retry and circuit-breaker strategies.
internal readonly record struct ForwardOutcome(ForwarderError Error, int Status, bool RetryReserved)
{
    /// No destination was available: the attempt never reached the upstream, so it says nothing about it.
    public static readonly ForwardOutcome NotAttempted = new(ForwarderError.None, 0, false);

    public bool TransportFailure => Error is ForwarderError.Request or ForwarderError.RequestTimedOut;

    /// Counts against the circuit breaker: the upstream did not answer, broke off, or answered with a server error.
    /// A client that went away is not the upstream's fault.
    public bool IsFailure => TransportFailure
        || Error is ForwarderError.ResponseBodyDestination or ForwarderError.RequestBodyDestination
        || (Error == ForwarderError.None && Status is 500 or 502 or 503 or 504);
}

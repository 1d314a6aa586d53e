using Yarp.ReverseProxy.Forwarder;

namespace Portico.Resilience;

/// The result of one forwarding attempt, as seen by the retry and circuit-breaker strategies.
public readonly record struct ForwardOutcome(ForwarderError Error, int Status, bool RetryReserved)
{
    public bool TransportFailure => Error is ForwarderError.Request or ForwarderError.RequestTimedOut;

    /// Counts against the circuit breaker: the upstream did not answer, or answered with a server error.
    public bool IsFailure => TransportFailure || Status is 500 or 502 or 503 or 504;
}

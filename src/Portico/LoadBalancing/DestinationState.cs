namespace Portico.LoadBalancing;

/// One URL of a service, with its live counters. Shared by every request to that URL.
internal sealed class DestinationState(Uri url)
{
    int _inFlight;
    int _consecutiveFailures;

    public Uri Url { get; } = url;

    /// Throttles the failure lines about this URL.
    internal Http.LogThrottle FailureLog { get; } = new(Http.LogThrottle.Default);

    /// The prefix handed to the forwarder: scheme, authority and base path without a trailing '/'.
    public string Prefix { get; } = url.AbsoluteUri.TrimEnd('/');

    /// The address that may be named in logs; never shown to clients.
    public override string ToString() => Prefix;

    public int InFlight => Volatile.Read(ref _inFlight);
    public void Enter() => Interlocked.Increment(ref _inFlight);
    public void Leave() => Interlocked.Decrement(ref _inFlight);

    /// Result of the last active probe; true until a probe says otherwise.
    public bool ActiveHealthy
    {
        get => Volatile.Read(ref _activeHealthy);
        set => Volatile.Write(ref _activeHealthy, value);
    }

    bool _activeHealthy = true;

    /// Timestamp (TimeProvider ticks) until which passive health keeps this destination out.
    public long EjectedUntil
    {
        get => Volatile.Read(ref _ejectedUntil);
        set => Volatile.Write(ref _ejectedUntil, value);
    }

    long _ejectedUntil;

    public int RecordFailure() => Interlocked.Increment(ref _consecutiveFailures);
    public void RecordSuccess()
    {
        if (Volatile.Read(ref _consecutiveFailures) != 0) Interlocked.Exchange(ref _consecutiveFailures, 0);
    }
}

namespace Portico.LoadBalancing;

/// Each destination in turn. A 64-bit counter: a 32-bit one would skew the order every time it overflowed.
internal sealed class RoundRobinBalancer : ILoadBalancer
{
    long _next = -1;

    public DestinationState Pick(DestinationState[] available) =>
        available.Length == 1 ? available[0] : available[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)available.Length)];
}

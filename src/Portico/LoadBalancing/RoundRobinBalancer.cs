namespace Portico.LoadBalancing;

/// Each destination in turn; the shared counter wraps, so the order stays fair past uint.MaxValue picks.
internal sealed class RoundRobinBalancer : ILoadBalancer
{
    uint _next = uint.MaxValue;

    public DestinationState Pick(DestinationState[] available) =>
        available.Length == 1 ? available[0] : available[Interlocked.Increment(ref _next) % (uint)available.Length];
}

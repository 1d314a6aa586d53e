namespace Portico.LoadBalancing;

/// A uniformly random destination.
internal sealed class RandomBalancer(Random? random = null) : ILoadBalancer
{
    readonly Random _random = random ?? Random.Shared;

    public DestinationState Pick(DestinationState[] available) => available[_random.Next(available.Length)];
}

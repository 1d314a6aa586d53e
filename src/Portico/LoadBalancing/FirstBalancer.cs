namespace Portico.LoadBalancing;

/// Always the first available destination: the others are standbys taken only when it is out.
internal sealed class FirstBalancer : ILoadBalancer
{
    public DestinationState Pick(DestinationState[] available) => available[0];
}

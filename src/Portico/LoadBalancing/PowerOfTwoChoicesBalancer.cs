namespace Portico.LoadBalancing;

/// Two random candidates, the less busy wins: near least-requests balance without scanning every destination.
internal sealed class PowerOfTwoChoicesBalancer(Random? random = null) : ILoadBalancer
{
    readonly Random _random = random ?? Random.Shared;

    public DestinationState Pick(DestinationState[] available)
    {
        if (available.Length == 1) return available[0];
        var a = _random.Next(available.Length);
        var b = _random.Next(available.Length - 1);
        if (b >= a) b++;
        return available[b].InFlight < available[a].InFlight ? available[b] : available[a];
    }
}

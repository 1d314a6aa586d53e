using Portico.Configuration;

namespace Portico.LoadBalancing;

/// Picks one destination among the available ones (never empty).
public interface ILoadBalancer
{
    DestinationState Pick(DestinationState[] available);

    public static ILoadBalancer Create(LoadBalancingPolicy policy) => policy switch
    {
        LoadBalancingPolicy.RoundRobin => new RoundRobinBalancer(),
        LoadBalancingPolicy.LeastRequests => new LeastRequestsBalancer(),
        LoadBalancingPolicy.PowerOfTwoChoices => new PowerOfTwoChoicesBalancer(),
        LoadBalancingPolicy.First => new FirstBalancer(),
        LoadBalancingPolicy.Random => new RandomBalancer(),
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };
}

internal sealed class RoundRobinBalancer : ILoadBalancer
{
    uint _next = uint.MaxValue;

    public DestinationState Pick(DestinationState[] available) =>
        available.Length == 1 ? available[0] : available[Interlocked.Increment(ref _next) % (uint)available.Length];
}

internal sealed class LeastRequestsBalancer : ILoadBalancer
{
    public DestinationState Pick(DestinationState[] available)
    {
        var best = available[0];
        for (var i = 1; i < available.Length; i++)
        {
            if (available[i].InFlight < best.InFlight) best = available[i];
        }
        return best;
    }
}

/// Two random candidates, the less busy wins: near least-requests balance without scanning every destination.
internal sealed class PowerOfTwoChoicesBalancer : ILoadBalancer
{
    public DestinationState Pick(DestinationState[] available)
    {
        if (available.Length == 1) return available[0];
        var a = Random.Shared.Next(available.Length);
        var b = Random.Shared.Next(available.Length - 1);
        if (b >= a) b++;
        return available[b].InFlight < available[a].InFlight ? available[b] : available[a];
    }
}

internal sealed class FirstBalancer : ILoadBalancer
{
    public DestinationState Pick(DestinationState[] available) => available[0];
}

internal sealed class RandomBalancer : ILoadBalancer
{
    public DestinationState Pick(DestinationState[] available) => available[Random.Shared.Next(available.Length)];
}

using Portico.Configuration;

namespace Portico.LoadBalancing;

/// Picks one destination among the available ones (never empty).
internal interface ILoadBalancer
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

using Portico.Configuration;
using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class LoadBalancerFactoryTests
{
    [Theory]
    [InlineData(LoadBalancingPolicy.RoundRobin, typeof(RoundRobinBalancer))]
    [InlineData(LoadBalancingPolicy.LeastRequests, typeof(LeastRequestsBalancer))]
    [InlineData(LoadBalancingPolicy.PowerOfTwoChoices, typeof(PowerOfTwoChoicesBalancer))]
    [InlineData(LoadBalancingPolicy.First, typeof(FirstBalancer))]
    [InlineData(LoadBalancingPolicy.Random, typeof(RandomBalancer))]
    public void Create_Policy_ReturnsMatchingBalancer(LoadBalancingPolicy policy, Type expected)
    {
        ILoadBalancer.Create(policy).ShouldBeOfType(expected);
    }
}

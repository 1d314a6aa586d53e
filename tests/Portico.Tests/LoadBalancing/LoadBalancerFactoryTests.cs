using Portico.Configuration;
using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class LoadBalancerFactoryTests
{
    [Theory]
    [InlineData(nameof(LoadBalancingPolicy.RoundRobin), typeof(RoundRobinBalancer))]
    [InlineData(nameof(LoadBalancingPolicy.LeastRequests), typeof(LeastRequestsBalancer))]
    [InlineData(nameof(LoadBalancingPolicy.PowerOfTwoChoices), typeof(PowerOfTwoChoicesBalancer))]
    [InlineData(nameof(LoadBalancingPolicy.First), typeof(FirstBalancer))]
    [InlineData(nameof(LoadBalancingPolicy.Random), typeof(RandomBalancer))]
    public void Create_Policy_ReturnsMatchingBalancer(string policy, Type expected)
    {
        ILoadBalancer.Create(Enum.Parse<LoadBalancingPolicy>(policy)).ShouldBeOfType(expected);
    }
}

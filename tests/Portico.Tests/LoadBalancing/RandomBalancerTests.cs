using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class RandomBalancerTests
{
    [Fact]
    public void Pick_ManyRequests_CoversEveryDestination()
    {
        var available = Destinations.Create(4);
        var balancer = new RandomBalancer(new Random(5));

        var picks = Enumerable.Range(0, 400).Select(_ => balancer.Pick(available)).ToHashSet();

        picks.SetEquals(available).ShouldBeTrue();
    }

    [Fact]
    public void Pick_SharedRandom_OnlyReturnsAvailableDestinations()
    {
        var all = Destinations.Create(4);
        DestinationState[] available = [all[0], all[2]];
        var balancer = new RandomBalancer();

        var picks = Enumerable.Range(0, 400).Select(_ => balancer.Pick(available)).ToHashSet();

        picks.SetEquals(available).ShouldBeTrue();
    }
}

using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class RoundRobinBalancerTests
{
    [Fact]
    public void Pick_ManyRequests_VisitsEachDestinationInOrderAndWraps()
    {
        var available = Destinations.Create(3);
        var balancer = new RoundRobinBalancer();

        var picks = Enumerable.Range(0, 7).Select(_ => balancer.Pick(available)).ToArray();

        picks.ShouldBe([available[0], available[1], available[2], available[0], available[1], available[2], available[0]]);
    }

    [Fact]
    public void Pick_300Requests_DistributesEvenly()
    {
        var available = Destinations.Create(3);
        var balancer = new RoundRobinBalancer();

        var counts = Enumerable.Range(0, 300).Select(_ => balancer.Pick(available)).CountBy(d => d).ToDictionary();

        counts.Count.ShouldBe(3);
        counts.Values.ShouldAllBe(c => c == 100);
    }

    [Fact]
    public void Pick_SingleDestination_ReturnsIt()
    {
        var available = Destinations.Create(1);
        var balancer = new RoundRobinBalancer();

        balancer.Pick(available).ShouldBe(available[0]);
        balancer.Pick(available).ShouldBe(available[0]);
    }

    [Fact]
    public void Pick_AvailableSetShrinks_OnlyReturnsCurrentlyAvailable()
    {
        var all = Destinations.Create(3);
        var balancer = new RoundRobinBalancer();
        balancer.Pick(all);
        DestinationState[] shrunk = [all[0], all[2]];

        var picks = Enumerable.Range(0, 10).Select(_ => balancer.Pick(shrunk)).ToArray();

        picks.ShouldAllBe(d => d != all[1]);
        picks.Distinct().Count().ShouldBe(2);
    }
}

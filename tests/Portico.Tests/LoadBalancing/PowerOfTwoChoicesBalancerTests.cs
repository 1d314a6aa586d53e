using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class PowerOfTwoChoicesBalancerTests
{
    [Fact]
    public void Pick_TwoDestinations_AlwaysReturnsTheLessLoaded()
    {
        var available = Destinations.Create(2);
        available[0].WithInFlight(4);
        var balancer = new PowerOfTwoChoicesBalancer(new Random(7));

        var picks = Enumerable.Range(0, 200).Select(_ => balancer.Pick(available)).ToArray();

        picks.ShouldAllBe(d => d == available[1]);
    }

    [Fact]
    public void Pick_OneBusyAmongMany_NeverReturnsTheBusiestUnlessPairedWithABusierOne()
    {
        var available = Destinations.Create(3);
        available[0].WithInFlight(10);
        var balancer = new PowerOfTwoChoicesBalancer(new Random(11));

        var picks = Enumerable.Range(0, 500).Select(_ => balancer.Pick(available)).ToArray();

        // Any pair containing the busy one has a less loaded partner, so it can never win.
        picks.ShouldNotContain(available[0]);
        picks.ShouldContain(available[1]);
        picks.ShouldContain(available[2]);
    }

    [Fact]
    public void Pick_SubsetAvailable_NeverReturnsAnUnavailableDestination()
    {
        var all = Destinations.Create(5);
        DestinationState[] available = [all[1], all[3], all[4]];
        var balancer = new PowerOfTwoChoicesBalancer(new Random(3));

        var picks = Enumerable.Range(0, 1000).Select(_ => balancer.Pick(available)).ToArray();

        picks.ShouldAllBe(d => available.Contains(d));
        picks.Distinct().Count().ShouldBe(3);
    }

    [Fact]
    public void Pick_SingleDestination_ReturnsIt()
    {
        var available = Destinations.Create(1);

        new PowerOfTwoChoicesBalancer().Pick(available).ShouldBe(available[0]);
    }
}

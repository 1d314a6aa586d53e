using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class LeastRequestsBalancerTests
{
    [Fact]
    public void Pick_DifferentLoads_ReturnsMinimumInFlight()
    {
        var available = Destinations.Create(4);
        available[0].WithInFlight(3);
        available[1].WithInFlight(5);
        available[2].WithInFlight(1);
        available[3].WithInFlight(2);

        var picked = new LeastRequestsBalancer().Pick(available);

        picked.ShouldBe(available[2]);
    }

    [Fact]
    public void Pick_LoadChanges_FollowsTheNewMinimum()
    {
        var available = Destinations.Create(2);
        var balancer = new LeastRequestsBalancer();
        available[0].WithInFlight(1);
        balancer.Pick(available).ShouldBe(available[1]);

        available[1].WithInFlight(2);

        balancer.Pick(available).ShouldBe(available[0]);
    }

    [Fact]
    public void Pick_AllEqual_ReturnsFirst()
    {
        var available = Destinations.Create(3);

        new LeastRequestsBalancer().Pick(available).ShouldBe(available[0]);
    }
}

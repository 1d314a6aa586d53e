using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class FirstBalancerTests
{
    [Fact]
    public void Pick_AnyLoad_ReturnsFirstAvailable()
    {
        var all = Destinations.Create(3);
        all[0].WithInFlight(9);
        var balancer = new FirstBalancer();

        balancer.Pick(all).ShouldBe(all[0]);
        balancer.Pick([all[1], all[2]]).ShouldBe(all[1]);
    }
}

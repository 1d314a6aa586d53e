using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

/// Destination arrays for balancer tests, with in-flight counts set through the real Enter() counter.
static class Destinations
{
    public static DestinationState[] Create(int count) =>
        Enumerable.Range(0, count).Select(i => new DestinationState(new Uri($"http://10.0.0.{i + 1}:8080"))).ToArray();

    public static DestinationState WithInFlight(this DestinationState destination, int inFlight)
    {
        for (var i = 0; i < inFlight; i++) destination.Enter();
        return destination;
    }
}

namespace Portico.LoadBalancing;

/// The destination with the fewest requests in flight; ties go to the earliest in the list.
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

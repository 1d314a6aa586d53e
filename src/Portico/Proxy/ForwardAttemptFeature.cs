namespace Portico.Proxy;

/// Per-request state for an attempt that may be retried: tells the transformer whether a retryable 5xx
/// should be held back (not sent to the client) so the next attempt can answer instead.
internal sealed class ForwardAttemptFeature(IReadOnlyList<int> retryOnStatus, Resilience.RetryBudget budget)
{
    public bool RetriesLeft;
    public bool RetryReserved;
    public int Attempt;

    public bool ShouldHoldBack(int status)
    {
        if (!RetriesLeft) return false;
        foreach (var s in retryOnStatus)
        {
            if (s == status) return RetryReserved = budget.TryAcquireRetry();
        }
        return false;
    }
}

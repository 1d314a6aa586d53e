namespace Portico.IntegrationTests.RateLimiting;

/// A bounded retry, only where no event announces the state: a slot is given back just after the client
/// already has the response (the lease is released when the pipeline unwinds), and a restored Redis
/// connection may still be finishing its handshake when the restore is logged.
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> attempt, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        var result = await attempt();
        while (!done(result) && DateTime.UtcNow < deadline) result = await attempt();
        return result;
    }

    /// Waits until <paramref name="done"/> holds; fails the test when it does not within the timeout.
    public static async Task UntilAsync(Func<bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the awaited condition did not hold in time");
            await Task.Delay(10);
        }
    }
}

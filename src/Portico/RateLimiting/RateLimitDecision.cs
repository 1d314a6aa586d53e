using System.Threading.RateLimiting;

namespace Portico.RateLimiting;

/// The answer of a counter for one request.
/// <param name="Remaining">Requests left in the current window (tokens left, free slots), when known.</param>
/// <param name="Reset">Time until the quota is fully available again, when known.</param>
/// <param name="RetryAfter">For a rejection: when trying again can succeed.</param>
/// <param name="Lease">A concurrency slot held until the response completes.</param>
/// <param name="StoreDown">The store could not be asked; the policy's onStoreDown decides.</param>
/// <param name="StoreError">Why the store could not be asked (exception type and message), for the log.</param>
internal readonly record struct RateLimitDecision(bool Allowed, long? Remaining, TimeSpan? Reset, TimeSpan? RetryAfter, RateLimitLease? Lease = null, bool StoreDown = false, string? StoreError = null)
{
    public static RateLimitDecision Unavailable(Exception error) => new(false, null, null, null, StoreDown: true, StoreError: $"{error.GetType().Name}: {error.Message}");
}

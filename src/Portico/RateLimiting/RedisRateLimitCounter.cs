using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Portico.Configuration;
using StackExchange.Redis;

namespace Portico.RateLimiting;

/// A policy's counters in Redis, shared by every gateway node: one EVALSHA per decision (EVAL once after Redis
/// lost its script cache). Any Redis failure (down, timeout, error) reports <see cref="RateLimitDecision.StoreDown"/>.
internal sealed class RedisRateLimitCounter(RateLimitDefinition definition, IDatabase database) : IRateLimitCounter
{
    static readonly string Node = Guid.NewGuid().ToString("N")[..12];
    static long _sequence;

    readonly RedisScripts.Script _script = RedisScripts.For(definition.Algorithm);
    readonly bool _holdsSlot = definition.Algorithm == RateLimitAlgorithm.Concurrency;
    // The key names the definition, so a changed limit or window starts fresh while an unchanged one keeps counting.
    readonly string _prefix = $"portico:rl:{definition.Name}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(definition.Fingerprint)))[..8]}:";
    readonly RedisValue _limit = definition.Limit;
    readonly RedisValue _window = (long)Math.Max(1, definition.Window.TotalMilliseconds);
    // Fixed window and token bucket read no member id: their arguments are the same for every request.
    readonly bool _needsMember = definition.Algorithm is RateLimitAlgorithm.SlidingWindow or RateLimitAlgorithm.Concurrency;
    readonly RedisValue[] _constantValues = [definition.Limit, (long)Math.Max(1, definition.Window.TotalMilliseconds)];

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The slot lease goes to the caller in the decision; the rate-limit middleware disposes it when the response completes")]
    public async ValueTask<RateLimitDecision> AcquireAsync(string key)
    {
        var keys = new RedisKey[] { _prefix + (key.Length <= 128 ? key : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))) };
        var member = _needsMember ? (RedisValue)string.Create(CultureInfo.InvariantCulture, $"{Node}-{Interlocked.Increment(ref _sequence)}") : RedisValue.Null;
        var values = _needsMember ? new[] { _limit, _window, member } : _constantValues;
        RedisResult result;
        try
        {
            var db = database;
            try
            {
                result = await db.ScriptEvaluateAsync(_script.Sha1, keys, values).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                result = await db.ScriptEvaluateAsync(_script.Text, keys, values).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return RateLimitDecision.Unavailable(e);
        }
        var parts = (RedisResult[])result!;
        var allowed = (long)parts[0] == 1;
        var remaining = (long)parts[1];
        TimeSpan? reset = (long)parts[2] is var ms and >= 0 ? TimeSpan.FromMilliseconds(ms) : null;
        if (!allowed) return new RateLimitDecision(false, 0, reset, reset ?? TimeSpan.FromSeconds(1));
        var lease = _holdsSlot ? new RedisSlotLease(database, keys[0], member) : null;
        return new RateLimitDecision(true, remaining, reset, null, lease);
    }

    /// A concurrency slot in Redis, given back when the response completes. If Redis is unreachable then, the
    /// slot lapses after the policy's window (the lease time) instead.
    sealed class RedisSlotLease(IDatabase database, RedisKey key, RedisValue member) : RateLimitLease
    {
        int _released;

        public override bool IsAcquired => true;
        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
            {
                try
                {
                    database.SortedSetRemove(key, member, CommandFlags.FireAndForget);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    // The slot's entry lapses on its own.
                }
            }
            base.Dispose(disposing);
        }
    }

    public void Dispose()
    {
    }
}

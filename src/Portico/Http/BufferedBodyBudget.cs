using System.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portico.Http;

/// The bytes of buffered bodies (aggregate parts and answers, GraphQL answers, XML, AMQP and login bodies, AMQP replies,
/// cache copies) the whole process may hold at once: `server.limits.bufferedBodies`. A request takes its share as its
/// bodies arrive (a declared length at once) and gives all of it back when it completes; a request that finds no room
/// is answered 503. When the buffered bytes fall back to nothing after a burst, one compacting collection gives the
/// memory back to the system: an idle gateway allocates nothing, so without it the garbage of the burst stays resident.
internal sealed partial class BufferedBodyBudget
{
    /// What a refused request is told to wait.
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// A burst smaller than this is left to the GC's own schedule.
    internal const long CollectAfter = 16L * 1024 * 1024;

    /// How long the budget must stay idle before the collection, and the least time between two.
    internal static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(2);

    readonly TimeProvider _time;
    readonly Action _collect;
    readonly ILogger? _logger;
    readonly Lock _gate = new();
    long _used;
    long _sinceCollect;
    ITimer? _timer;
    long _lastCollect = long.MinValue;

    /// <param name="limit">Bytes all buffered bodies may have together.</param>
    /// <param name="collect">Gives memory back after a burst; a full compacting collection unless a test says otherwise.</param>
    public BufferedBodyBudget(long limit, TimeProvider? time = null, Action? collect = null, ILogger? logger = null)
    {
        _logger = logger;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        _time = time ?? TimeProvider.System;
        _collect = collect ?? CollectAndDecommit;
    }

    public long Limit { get; }

    /// Without `server.limits.bufferedBodies`: 256MiB, or a quarter of the memory the GC may use (a container's limit)
    /// when that is less.
    public static long DefaultLimit() => Math.Max(1024 * 1024, Math.Min(256L * 1024 * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4));

    /// Bytes held by requests now.
    public long InUse => Interlocked.Read(ref _used);

    /// Whether a new buffering request may start.
    public bool HasRoom => InUse < Limit;

    /// How many idle collections ran (for tests and diagnostics).
    public int Collections { get; private set; }

    /// Takes <paramref name="bytes"/> when they fit under the limit.
    internal bool TryTake(long bytes)
    {
        if (bytes <= 0) return true;
        var used = Interlocked.Read(ref _used);
        while (true)
        {
            if (bytes > Limit - used) return false;
            var seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used)
            {
                Interlocked.Add(ref _sinceCollect, bytes);
                return true;
            }
            used = seen;
        }
    }

    /// Takes <paramref name="bytes"/> whatever the limit: memory a request already admitted holds anyway (its answer).
    internal void Take(long bytes)
    {
        if (bytes <= 0) return;
        Interlocked.Add(ref _used, bytes);
        Interlocked.Add(ref _sinceCollect, bytes);
    }

    internal void Give(long bytes)
    {
        if (bytes <= 0) return;
        if (Interlocked.Add(ref _used, -bytes) == 0 && Interlocked.Read(ref _sinceCollect) >= CollectAfter) ScheduleCollect();
    }

    /// The share of the request in <paramref name="context"/>, given back when its response completes (also after an
    /// error or an abort); null when the host has no budget (handlers run on their own in unit tests).
    public static BudgetShare? For(HttpContext context)
    {
        if (context.Features.Get<BudgetShare>() is { } share) return share;
        if (context.RequestServices?.GetService<BufferedBodyBudget>() is not { } budget) return null;
        share = budget.NewShare();
        context.Features.Set(share);
        // Given back when the response completes (after an error or an abort too): the request owns it, not the caller.
        context.Response.OnCompleted(static s =>
        {
            ((BudgetShare)s).Release();
            return Task.CompletedTask;
        }, share);
        return share;
    }

    /// A share of its own, for one request.
    internal BudgetShare NewShare() => new(this);

    void ScheduleCollect()
    {
        lock (_gate)
        {
            if (_timer is not null) return;
            var now = _time.GetTimestamp();
            var wait = QuietPeriod;
            if (_lastCollect != long.MinValue)
            {
                var since = _time.GetElapsedTime(_lastCollect, now);
                if (since < QuietPeriod * 2) wait = QuietPeriod * 2 - since;
            }
            _timer = _time.CreateTimer(static state => ((BufferedBodyBudget)state!).CollectIfIdle(), this, wait, Timeout.InfiniteTimeSpan);
        }
    }

    void CollectIfIdle()
    {
        long burst;
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            // Busy again: the request that ends the next burst schedules the collection.
            if (InUse != 0) return;
            burst = Interlocked.Exchange(ref _sinceCollect, 0);
            _lastCollect = _time.GetTimestamp();
            Collections++;
        }
        _collect();
        if (_logger is not { } logger || !logger.IsEnabled(LogLevel.Information)) return;
        var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var resident = Environment.WorkingSet;
        LogCollected(logger, burst / (1024 * 1024), committed / (1024 * 1024), resident / (1024 * 1024));
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Information,
        Message = "Buffered bodies idle after a burst of {BurstMiB} MiB: memory collected, managed heap {CommittedMiB} MiB committed, resident {ResidentMiB} MiB")]
    static partial void LogCollected(ILogger logger, long burstMiB, long committedMiB, long residentMiB);

    static void CollectAndDecommit()
    {
        // The large buffers of the burst sit in the large object heap: compact it, and let the GC decommit what it freed.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}

/// What one request took from the <see cref="BufferedBodyBudget"/>; safe across threads (an aggregate's parts run at once).
internal sealed class BudgetShare
{
    readonly BufferedBodyBudget _budget;
    readonly Lock _gate = new();
    long _held;
    bool _done;

    internal BudgetShare(BufferedBodyBudget budget) => _budget = budget;

    /// Bytes this request holds.
    public long Held
    {
        get
        {
            lock (_gate) return _held;
        }
    }

    /// Whether the process may admit more buffering now.
    public bool HasRoom => _budget.HasRoom;

    /// Takes <paramref name="bytes"/> when the process has room for them.
    public bool TryTake(long bytes)
    {
        lock (_gate)
        {
            if (_done || !_budget.TryTake(bytes)) return false;
            _held += Math.Max(0, bytes);
            return true;
        }
    }

    /// Counts <paramref name="bytes"/> this admitted request holds anyway, whatever the limit.
    public void Take(long bytes)
    {
        lock (_gate)
        {
            if (_done || bytes <= 0) return;
            _budget.Take(bytes);
            _held += bytes;
        }
    }

    /// Gives everything back; later takes are refused.
    public void Release()
    {
        long held;
        lock (_gate)
        {
            if (_done) return;
            _done = true;
            held = _held;
            _held = 0;
        }
        _budget.Give(held);
    }
}

namespace Portico.Resilience;

/// Caps retries to a share of recent traffic (plus a small floor), so retries cannot multiply load on a
/// struggling service: over a 10-second window, retries ≤ max(minPerSecond × 10, ratio × requests).
internal sealed class RetryBudget
{
    const int Buckets = 10;
    readonly double _ratio;
    readonly int _minPerWindow;
    readonly TimeProvider _time;
    readonly long[] _requests = new long[Buckets];
    readonly long[] _retries = new long[Buckets];
    readonly Lock _gate = new();
    long _currentSecond;

    readonly Action? _exhausted;

    /// <paramref name="exhausted"/> is told each time a retry is refused (for the retry budget metric).
    public RetryBudget(double ratio, int minPerSecond, TimeProvider time, Action? exhausted = null)
    {
        _exhausted = exhausted;
        _ratio = ratio;
        _minPerWindow = minPerSecond * Buckets;
        _time = time;
        _currentSecond = Second();
    }

    long Second() => _time.GetTimestamp() / _time.TimestampFrequency;

    public void RecordRequest()
    {
        var idx = Advance();
        Interlocked.Increment(ref _requests[idx]);
    }

    public bool TryAcquireRetry()
    {
        lock (_gate)
        {
            var idx = Advance();
            long requests = 0, retries = 0;
            for (var i = 0; i < Buckets; i++)
            {
                requests += Volatile.Read(ref _requests[i]);
                retries += _retries[i];
            }
            if (retries >= Math.Max(_minPerWindow, (long)(_ratio * requests)))
            {
                _exhausted?.Invoke();
                return false;
            }
            _retries[idx]++;
            return true;
        }
    }

    int Advance()
    {
        var now = Second();
        var current = Volatile.Read(ref _currentSecond);
        if (now != current)
        {
            lock (_gate)
            {
                current = _currentSecond;
                if (now != current)
                {
                    var steps = Math.Min(Buckets, now - current);
                    for (long s = 1; s <= steps; s++)
                    {
                        var i = (int)((current + s) % Buckets);
                        Volatile.Write(ref _requests[i], 0);
                        _retries[i] = 0;
                    }
                    Volatile.Write(ref _currentSecond, now);
                }
            }
        }
        return (int)(now % Buckets);
    }
}

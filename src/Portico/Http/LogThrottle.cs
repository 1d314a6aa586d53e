namespace Portico.Http;

/// Lets a repeated log line through at most once per interval and counts the ones it held back, so an outage
/// writes a line every few seconds saying how many events it stands for, instead of one line per request.
internal sealed class LogThrottle(TimeSpan interval)
{
    readonly Lock _gate = new();
    long _last = long.MinValue;
    long _held;

    /// The default interval for failure lines.
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(5);

    /// True when the line should be written now; <paramref name="count"/> is the events it stands for (this one
    /// and those held back since the last line).
    public bool TryEnter(TimeProvider time, out long count)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_last != long.MinValue && time.GetElapsedTime(_last, now) < interval)
            {
                _held++;
                count = 0;
                return false;
            }
            _last = now;
            count = _held + 1;
            _held = 0;
            return true;
        }
    }

    /// Forgets the last line: the next event is written at once (after a recovery, say).
    public void Reset()
    {
        lock (_gate)
        {
            _last = long.MinValue;
            _held = 0;
        }
    }
}

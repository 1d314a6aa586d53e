using System.Diagnostics;
using System.Net;

namespace Portico.Bench;

/// One request of a mix: a path and its headers.
sealed record MixRequest(string Name, string Path, IReadOnlyList<(string Name, string Value)> Headers);

/// What the load saw in one interval: latencies (µs, from the time each request was due) and outcomes.
sealed class IntervalStats
{
    readonly List<long> _latenciesUs = new(1 << 16);
    public long Sent;
    public long Ok;
    public long TooMany;       // 429: counted apart; the soak's limits are far above the load, so expected 0
    public long Non2xx;
    public long SocketErrors;
    public long Timeouts;
    public long Dropped;       // due but not sent: too many requests outstanding (the target stalls)

    public long Errors => Non2xx + SocketErrors + Timeouts + Dropped;
    public long Completed => Ok + TooMany + Non2xx;

    public void AddLatency(long us)
    {
        lock (_latenciesUs) _latenciesUs.Add(us);
    }

    /// The latency at <paramref name="quantile"/> (0..1) in milliseconds; null without requests.
    public double? LatencyMs(double quantile)
    {
        long[] sorted;
        lock (_latenciesUs) sorted = [.. _latenciesUs];
        if (sorted.Length == 0) return null;
        Array.Sort(sorted);
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)] / 1000.0;
    }
}

/// An HTTP load generator in two modes. Closed loop (<see cref="RunClosedAsync"/>): N workers each send the next
/// request when the last answered, to find the most the target serves. Open loop (<see cref="RunOpenAsync"/>):
/// requests are due at a fixed rate whatever the answers, and each latency is measured from when the request was
/// due, not when it went out, so a stall shows in the latencies instead of slowing the load (coordinated omission).
sealed class LoadGenerator : IDisposable
{
    readonly HttpClient _client;
    readonly string _baseUrl;
    readonly IReadOnlyList<MixRequest> _mix;
    readonly int _maxOutstanding;
    long _outstanding;

    public LoadGenerator(string baseUrl, IReadOnlyList<MixRequest> mix, int connections, TimeSpan timeout)
    {
        _baseUrl = baseUrl;
        _mix = mix;
        _maxOutstanding = connections * 64;
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
        })
        { Timeout = timeout };
    }

    /// <paramref name="workers"/> loops sending the mix in turn until <paramref name="duration"/> ends; completed requests per second.
    public async Task<double> RunClosedAsync(int workers, TimeSpan duration)
    {
        var stats = new IntervalStats();
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long next = 0;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < end)
                await SendAsync(_mix[(int)(Interlocked.Increment(ref next) % _mix.Count)], Stopwatch.GetTimestamp(), stats);
        }));
        return stats.Ok / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// Sends <paramref name="rate"/> requests per second for <paramref name="duration"/>, the mix in turn; each
    /// request's outcome goes to the interval <paramref name="intervalOf"/> picks for its due time (seconds from start).
    public async Task RunOpenAsync(double rate, TimeSpan duration, Func<double, IntervalStats> intervalOf, CancellationToken cancel)
    {
        var start = Stopwatch.GetTimestamp();
        var total = (long)(rate * duration.TotalSeconds);
        var inFlight = new List<Task>();
        long sent = 0;
        while (sent < total && !cancel.IsCancellationRequested)
        {
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var due = Math.Min(total, (long)(elapsed * rate));
            for (; sent < due; sent++)
            {
                var dueAt = sent / rate;
                var stats = intervalOf(dueAt);
                var dueTimestamp = start + (long)(dueAt * Stopwatch.Frequency);
                if (Interlocked.Read(ref _outstanding) >= _maxOutstanding)
                {
                    Interlocked.Increment(ref stats.Dropped);
                    continue;
                }
                inFlight.Add(SendAsync(_mix[(int)(sent % _mix.Count)], dueTimestamp, stats));
            }
            if (inFlight.Count > 4096) inFlight.RemoveAll(t => t.IsCompleted);
            // Timer granularity is about a millisecond: requests due meanwhile go out together, with their due times kept.
            await Task.Delay(1, CancellationToken.None);
        }
        await Task.WhenAll(inFlight);
    }

    async Task SendAsync(MixRequest mix, long dueTimestamp, IntervalStats stats)
    {
        Interlocked.Increment(ref _outstanding);
        Interlocked.Increment(ref stats.Sent);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _baseUrl + mix.Path);
            foreach (var (name, value) in mix.Headers) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            stats.AddLatency((long)Stopwatch.GetElapsedTime(dueTimestamp).TotalMicroseconds);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300) Interlocked.Increment(ref stats.Ok);
            else if (status == 429) Interlocked.Increment(ref stats.TooMany);
            else Interlocked.Increment(ref stats.Non2xx);
        }
        catch (TaskCanceledException)
        {
            Interlocked.Increment(ref stats.Timeouts);
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref stats.SocketErrors);
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    public void Dispose() => _client.Dispose();
}

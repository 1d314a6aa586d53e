using Microsoft.Extensions.Logging;
using Portico.Configuration;

namespace Portico.LoadBalancing;

/// Probes every destination of one service on an interval; flips a destination after N results in a row.
internal sealed partial class ActiveHealthProber : IAsyncDisposable
{
    readonly string _service;
    readonly ActiveHealthDefinition _options;
    readonly DestinationSet _destinations;
    readonly HttpMessageInvoker _client;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly CancellationTokenSource _stop = new();
    readonly int[] _streak;
    readonly Lock _roundsGate = new();
    readonly List<(int Count, TaskCompletionSource Done)> _roundWaiters = [];
    int _rounds;
    Task? _loop;

    public ActiveHealthProber(string service, ActiveHealthDefinition options, DestinationSet destinations, HttpMessageInvoker client, TimeProvider time, ILogger logger)
    {
        _service = service;
        _options = options;
        _destinations = destinations;
        _client = client;
        _time = time;
        _logger = logger;
        _streak = new int[destinations.All.Count];
    }

    /// Set once the first round of probes finished, so readiness can wait for real answers.
    public bool CompletedFirstRound { get; private set; }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await ProbeAllAsync(stop).ConfigureAwait(false);
            CompletedFirstRound = true;
            // The timer exists before the round is announced, so advancing a clock after the announcement starts the next round.
            var next = Task.Delay(_options.Interval, _time, stop);
            AnnounceRound();
            try
            {
                await next.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// Completes once <paramref name="count"/> rounds of probes have finished and the wait for the next has begun.
    internal Task WhenRoundsCompleted(int count)
    {
        lock (_roundsGate)
        {
            if (_rounds >= count) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _roundWaiters.Add((count, done));
            return done.Task;
        }
    }

    void AnnounceRound()
    {
        lock (_roundsGate)
        {
            _rounds++;
            for (var i = _roundWaiters.Count - 1; i >= 0; i--)
            {
                if (_roundWaiters[i].Count > _rounds) continue;
                _roundWaiters[i].Done.TrySetResult();
                _roundWaiters.RemoveAt(i);
            }
        }
    }

    internal Task ProbeAllAsync(CancellationToken stop) =>
        Task.WhenAll(_destinations.All.Select((d, i) => ProbeAsync(d, i, stop)));

    async Task ProbeAsync(DestinationState destination, int index, CancellationToken stop)
    {
        bool ok;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, destination.Prefix + _options.Path);
            using var response = await _client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            ok = (int)response.StatusCode is >= 200 and < 400;
        }
        catch (Exception) when (!stop.IsCancellationRequested)
        {
            ok = false;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Positive streak counts successes, negative counts failures.
        var streak = _streak[index] = ok ? Math.Max(_streak[index], 0) + 1 : Math.Min(_streak[index], 0) - 1;
        var healthy = destination.ActiveHealthy;
        if (healthy && streak <= -_options.UnhealthyThreshold)
        {
            _destinations.SetActiveHealth(destination, false);
            LogUnhealthy(_logger, _service, destination.Prefix, _options.Path);
        }
        else if (!healthy && streak >= _options.HealthyThreshold)
        {
            _destinations.SetActiveHealth(destination, true);
            LogHealthy(_logger, _service, destination.Prefix);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Service {Service}: destination {Destination} failed its health check ({Path}); taken out of rotation")]
    static partial void LogUnhealthy(ILogger logger, string service, string destination, string path);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Service {Service}: destination {Destination} is healthy again")]
    static partial void LogHealthy(ILogger logger, string service, string destination);
}

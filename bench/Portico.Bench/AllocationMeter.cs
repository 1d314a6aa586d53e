using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Portico.Bench;

/// Bytes a .NET process allocates while it is watched: the runtime's `alloc-rate` counter (System.Runtime event
/// counters) read over EventPipe, summed. Works on any .NET process without changing it, so Portico and bare YARP
/// are measured the same way.
sealed class AllocationMeter : IAsyncDisposable
{
    readonly EventPipeSession _session;
    readonly Task _reader;
    long _bytes;
    int _samples;

    AllocationMeter(EventPipeSession session)
    {
        _session = session;
        var source = new EventPipeEventSource(session.EventStream);
        source.Dynamic.All += OnEvent;
        _reader = Task.Run(source.Process);
    }

    public static AllocationMeter Start(int pid)
    {
        var provider = new EventPipeProvider("System.Runtime", EventLevel.Informational, 0,
            new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
        return new AllocationMeter(new DiagnosticsClient(pid).StartEventPipeSession(provider, requestRundown: false));
    }

    void OnEvent(TraceEvent e)
    {
        if (e.EventName != "EventCounters" || e.PayloadValue(0) is not IDictionary<string, object> outer) return;
        if (outer.TryGetValue("Payload", out var inner) && inner is IDictionary<string, object> payload &&
            payload.TryGetValue("Name", out var name) && name as string == "alloc-rate" &&
            payload.TryGetValue("Increment", out var increment))
        {
            Interlocked.Add(ref _bytes, (long)Convert.ToDouble(increment));
            Interlocked.Increment(ref _samples);
        }
    }

    /// Waits for the interval that holds the end of the load to be reported, then stops; null when no sample came.
    public async Task<long?> StopAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        await _session.StopAsync(CancellationToken.None);
        await _reader;
        return _samples == 0 ? null : Interlocked.Read(ref _bytes);
    }

    public async ValueTask DisposeAsync()
    {
        try { await _session.StopAsync(CancellationToken.None); } catch (Exception) { }
        _session.Dispose();
    }
}

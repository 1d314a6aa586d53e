using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Portico.Bench;

/// Bytes a .NET process allocates while it is watched, from the runtime's GC AllocationTick events over EventPipe:
/// the GC raises one each time a heap has handed out about 100 KB more, carrying the exact amount since the last
/// one, so their sum is the allocation total to within one tick per heap. Works on any .NET process without
/// changing it, so Portico and bare YARP are measured the same way. (The `alloc-rate` event counter was used
/// before; its per-interval increments came out as 0 for whole runs of a scenario that allocates, and doubled in
/// the next.)
sealed class AllocationMeter : IAsyncDisposable
{
    readonly EventPipeSession _session;
    readonly EventPipeEventSource _source;
    readonly Task _reader;
    long _bytes;
    int _ticks;

    AllocationMeter(EventPipeSession session)
    {
        _session = session;
        _source = new EventPipeEventSource(session.EventStream);
        _source.Clr.GCAllocationTick += OnTick;
        _reader = Task.Run(_source.Process);
    }

    public static AllocationMeter Start(int pid)
    {
        var provider = new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC);
        return new AllocationMeter(new DiagnosticsClient(pid).StartEventPipeSession(provider, requestRundown: false));
    }

    // A heap's first tick also holds what it allocated just before the session began (under 100 KB): against the
    // hundreds of megabytes of a run, noise well under 0.1 %.
    void OnTick(GCAllocationTickTraceData e)
    {
        Interlocked.Add(ref _bytes, e.AllocationAmount64);
        Interlocked.Increment(ref _ticks);
    }

    /// Stops once the events of the run are in; null when none came (the process allocated under ~100 KB).
    public async Task<long?> StopAsync()
    {
        await _session.StopAsync(CancellationToken.None);
        await _reader;
        return Volatile.Read(ref _ticks) == 0 ? null : Interlocked.Read(ref _bytes);
    }

    public async ValueTask DisposeAsync()
    {
        try { await _session.StopAsync(CancellationToken.None); } catch (Exception) { }
        _session.Dispose();
        try { await _reader; } catch (Exception) { }
        _source.Dispose();
    }
}

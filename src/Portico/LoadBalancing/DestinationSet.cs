using Portico.Configuration;

namespace Portico.LoadBalancing;

/// A service's destinations and which of them may take traffic now (active probes and passive ejection).
/// The available array is rebuilt only when health changes; the hot path reads one field.
internal sealed class DestinationSet
{
    readonly DestinationState[] _all;
    readonly PassiveHealthDefinition _passive;
    readonly TimeProvider _time;
    readonly Lock _gate = new();
    DestinationState[] _available;
    long _nextExpiry = long.MaxValue;

    public DestinationSet(IReadOnlyList<Uri> urls, PassiveHealthDefinition passive, TimeProvider time)
    {
        _all = urls.Select(u => new DestinationState(u)).ToArray();
        _available = _all;
        _passive = passive;
        _time = time;
    }

    public IReadOnlyList<DestinationState> All => _all;

    /// Destinations that may take traffic; empty only when every destination failed its active check.
    public DestinationState[] Available
    {
        get
        {
            if (_nextExpiry != long.MaxValue && _time.GetTimestamp() >= Volatile.Read(ref _nextExpiry)) Refresh();
            return _available;
        }
    }

    /// Passive health: a transport failure or timeout. Ejects after N in a row, never the last available one.
    public void ReportFailure(DestinationState destination)
    {
        if (!_passive.Enabled) return;
        if (destination.RecordFailure() < _passive.ConsecutiveFailures) return;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (destination.EjectedUntil > now) return;
            // Count destinations whose ejection has just ended as available, though no request has looked yet.
            if (now >= _nextExpiry) RefreshLocked(now);
            var othersAvailable = _available.Any(d => d != destination);
            if (!othersAvailable) return;
            destination.EjectedUntil = now + (long)(_passive.EjectFor.TotalSeconds * _time.TimestampFrequency);
            destination.RecordSuccess();
            RefreshLocked(now);
        }
    }

    public void ReportSuccess(DestinationState destination) => destination.RecordSuccess();

    /// Passive health checks apply to these destinations.
    public bool PassiveEnabled => _passive.Enabled;

    /// Passive health keeps the destination out now.
    public bool IsEjected(DestinationState destination) => destination.EjectedUntil > _time.GetTimestamp();

    /// Active health: called by the prober when a destination's state flips.
    public void SetActiveHealth(DestinationState destination, bool healthy)
    {
        if (destination.ActiveHealthy == healthy) return;
        destination.ActiveHealthy = healthy;
        Refresh();
    }

    void Refresh()
    {
        lock (_gate) RefreshLocked(_time.GetTimestamp());
    }

    void RefreshLocked(long now)
    {
        var next = long.MaxValue;
        var list = new List<DestinationState>(_all.Length);
        foreach (var d in _all)
        {
            if (!d.ActiveHealthy) continue;
            if (d.EjectedUntil > now)
            {
                next = Math.Min(next, d.EjectedUntil);
                continue;
            }
            list.Add(d);
        }
        // Passive ejection never empties the set: if only ejected ones are actively healthy, use them.
        if (list.Count == 0) list.AddRange(_all.Where(d => d.ActiveHealthy));
        _available = list.Count == _all.Length ? _all : [.. list];
        Volatile.Write(ref _nextExpiry, next);
    }
}

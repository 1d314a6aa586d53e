using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Services;

namespace Portico.Runtime;

/// One compiled configuration: endpoints and the runtimes they use. Never mutated; a reload builds a new one
/// and swaps it in whole. Requests keep the snapshot their endpoint came from until they finish: each proxied
/// request holds a lease, and the services a reload drops are disposed only once the old snapshot has drained.
internal sealed class RuntimeSnapshot
{
    // Leases held by requests, or -1 once retired and drained (no lease can be taken any more).
    int _leases;
    volatile bool _retiring;
    volatile RuntimeSnapshot? _successor;
    readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    Dictionary<(string Gateway, string Route), GatewayRoute> _byName = [];

    internal RuntimeSnapshot(long version, PorticoConfig config, IReadOnlyDictionary<string, ServiceRuntime> services)
    {
        Version = version;
        Config = config;
        Services = services;
    }

    public long Version { get; }
    public PorticoConfig Config { get; }

    /// The config's trusted proxies, compiled once: who may report the client's address, scheme and host.
    public Http.ClientAddress Clients => _clients ??= Config.TrustedProxies is { Count: > 0 } trusted
        ? new Http.ClientAddress(trusted)
        : Http.ClientAddress.NoTrustedProxies;

    Http.ClientAddress? _clients;
    public IReadOnlyList<Endpoint> Endpoints { get; private set; } = [];
    public IReadOnlyDictionary<string, ServiceRuntime> Services { get; }

    /// Compiled routes, per gateway, in precedence order.
    public IReadOnlyList<GatewayRoute> Routes { get; private set; } = [];

    /// This snapshot's rate-limit policies, made live by SnapshotCompiler.Commit.
    internal RateLimiting.CompiledRateLimits? RateLimits { get; set; }

    /// Completes once this snapshot was replaced and no request uses it any more.
    public Task Drained => _drained.Task;

    internal void Seal(IReadOnlyList<Endpoint> endpoints, IReadOnlyList<GatewayRoute> routes)
    {
        Endpoints = endpoints;
        Routes = routes;
        _byName = routes.ToDictionary(r => (r.Gateway, r.Name));
    }

    internal bool TryEnter()
    {
        while (true)
        {
            var current = Volatile.Read(ref _leases);
            if (current < 0) return false;
            if (Interlocked.CompareExchange(ref _leases, current + 1, current) == current) return true;
        }
    }

    internal void Exit()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && _retiring) TryCompleteDrain();
    }

    /// Marks the snapshot as replaced by <paramref name="successor"/>; requests routed with it after this
    /// moment are served by the successor's route of the same name.
    internal void Retire(RuntimeSnapshot successor)
    {
        _successor = successor;
        _retiring = true;
        TryCompleteDrain();
    }

    void TryCompleteDrain()
    {
        if (Interlocked.CompareExchange(ref _leases, -1, 0) == 0) _drained.TrySetResult();
    }

    /// The live snapshot's compiled route with this gateway and name, for a request that matched a route of a
    /// retired snapshot; null when the reload removed the route. The caller holds the returned snapshot's lease.
    internal (RuntimeSnapshot Snapshot, GatewayRoute? Route) LiveRoute(string gateway, string name)
    {
        var snapshot = _successor ?? this;
        while (!snapshot.TryEnter())
            snapshot = snapshot._successor ?? throw new InvalidOperationException("a retired snapshot has no successor");
        return (snapshot, snapshot._byName.GetValueOrDefault((gateway, name)));
    }
}

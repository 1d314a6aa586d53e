using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Proxy;
using Portico.Services;

namespace Portico.Runtime;

/// One compiled configuration: endpoints and the runtimes they use. Never mutated; a reload builds a new one
/// and swaps it in whole. Requests keep the snapshot their endpoint came from until they finish.
public sealed class RuntimeSnapshot
{
    internal RuntimeSnapshot(long version, PorticoConfig config, IReadOnlyList<Endpoint> endpoints, IReadOnlyDictionary<string, ServiceRuntime> services, IReadOnlyList<ProxyRoute> routes)
    {
        Version = version;
        Config = config;
        Endpoints = endpoints;
        Services = services;
        Routes = routes;
    }

    public long Version { get; }
    public PorticoConfig Config { get; }
    public IReadOnlyList<Endpoint> Endpoints { get; }
    public IReadOnlyDictionary<string, ServiceRuntime> Services { get; }

    /// Compiled routes, per gateway, in precedence order.
    public IReadOnlyList<ProxyRoute> Routes { get; }
}

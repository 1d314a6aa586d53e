using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Portico.Runtime;

/// The current snapshot, swapped atomically, exposed to ASP.NET routing as an endpoint data source whose
/// change token fires on every swap (the matcher is then rebuilt from the new endpoints).
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The change source is never disposed on purpose: a reader may have fetched it just before a swap and still ask for its token (see Swap); it holds nothing to free")]
internal sealed class RuntimeHolder : EndpointDataSource
{
    RuntimeSnapshot? _current;
    // The snapshot routing takes its endpoints from: ahead of _current during a swap.
    RuntimeSnapshot? _routed;
    CancellationTokenSource _changed = new();

    public RuntimeSnapshot Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("No configuration is loaded yet.");
    public bool HasSnapshot => Volatile.Read(ref _current) is not null;

    public event Action<RuntimeSnapshot>? Swapped;

    /// The config file the gateway runs from (relative paths in it resolve against its folder), null when the
    /// config came from memory or an <c>IConfiguration</c> section.
    public string? ConfigPath { get; internal set; }

    public override IReadOnlyList<Endpoint> Endpoints => Volatile.Read(ref _routed)?.Endpoints ?? [];

    public override IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    /// Routing rebuilds its matcher from the new endpoints (synchronously, on the change token) before
    /// <see cref="Current"/> shows the new version: once it does, requests are matched against that version's routes.
    public void Swap(RuntimeSnapshot next)
    {
        Volatile.Write(ref _routed, next);
        var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        // Not disposed: a reader may have fetched it just before the exchange and still ask for its token.
        previous.Cancel();
        Volatile.Write(ref _current, next);
        Swapped?.Invoke(next);
    }
}

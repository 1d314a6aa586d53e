using Microsoft.AspNetCore.Http;

namespace Portico.Routing;

/// Which gateway a request belongs to, by the local port it arrived on. Filled once the listeners are bound
/// (ports given as 0 are only known then).
internal sealed class ListenerMap
{
    readonly short[] _gatewayByPort = new short[65536];
    readonly bool[] _telemetryPorts = new bool[65536];

    public ListenerMap(int gatewayCount)
    {
        GatewayCount = gatewayCount;
        Array.Fill(_gatewayByPort, (short)-1);
    }

    public int GatewayCount { get; }

    /// Portico's routes are served only on the gateways' own listeners (Portico embedded in an app that listens
    /// elsewhere too); otherwise, with one gateway, on any port the app listens on.
    internal bool RestrictToGatewayPorts { get; init; }

    internal void Set(int port, int gatewayIndex) => _gatewayByPort[port] = (short)gatewayIndex;

    internal void SetTelemetry(int port)
    {
        _telemetryPorts[port] = true;
        TelemetryPort = port;
    }

    /// The request arrived on the telemetry listener (metrics, later the admin API): never a gateway's.
    public bool IsTelemetry(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        return (uint)port < 65536u && _telemetryPorts[port];
    }

    /// The telemetry listener's bound port, 0 when there is none (yet).
    public int TelemetryPort { get; private set; }

    public int GatewayIndexFor(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        return (uint)port < 65536u ? _gatewayByPort[port] : -1;
    }

    /// Bound ports per gateway index, for logs and tests.
    public IReadOnlyList<int> PortsOf(int gatewayIndex) =>
        Enumerable.Range(0, 65536).Where(p => _gatewayByPort[p] == gatewayIndex).ToList();
}

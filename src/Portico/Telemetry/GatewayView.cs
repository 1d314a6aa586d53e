using Microsoft.AspNetCore.Http;
using Portico.Configuration;

namespace Portico.Telemetry;

/// <summary>
/// What the edge's telemetry reads of the running gateway (the live config, which gateway a request came to, the
/// client's address after trusted proxies), handed in by Hosting so telemetry depends on no runtime type.
/// </summary>
/// <param name="config">The live config, or null before the first one is applied.</param>
/// <param name="gatewayIndex">The index of the gateway whose listener took the request, or -1.</param>
/// <param name="clientAddress">The client's address (ClientAddress.Resolve under the live trusted proxies).</param>
internal sealed class GatewayView(Func<PorticoConfig?> config, Func<HttpContext, int> gatewayIndex, Func<HttpContext, string> clientAddress)
{
    public PorticoConfig? Config => config();

    /// <summary>The gateway the request came to: by its listener, or the only one (embedded on the app's own ports).</summary>
    public GatewayDefinition? GatewayOf(HttpContext context, PorticoConfig live)
    {
        var index = gatewayIndex(context);
        if (index < 0 && live.Gateways.Count == 1) index = 0;
        return index >= 0 && index < live.Gateways.Count ? live.Gateways[index] : null;
    }

    /// <summary>The client's address, null when the connection has none.</summary>
    public string? ClientAddress(HttpContext context) => clientAddress(context) is var address && address != "unknown" ? address : null;
}

using Microsoft.Extensions.DependencyInjection;
using Portico.Telemetry;

namespace Portico.Hosting;

/// <summary>Registers the edge's telemetry: the instruments of auth, rate limits and the cache.</summary>
internal static class EdgeTelemetryServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<EdgeMetrics>();
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Routing;
using Portico.Runtime;
using Portico.Telemetry;

namespace Portico.Hosting;

/// <summary>
/// Registers the edge's telemetry: its instruments, and the access log when the config has one (its output is
/// opened at start, relative to the config file's directory, and flushed and closed after the server stops).
/// </summary>
internal static class EdgeTelemetryServices
{
    public static void Add(IServiceCollection services, PorticoConfig config, string configDirectory)
    {
        services.AddMetrics();
        services.AddSingleton<EdgeMetrics>();
        if (config.Telemetry.AccessLog is { } accessLog)
        {
            services.AddSingleton(sp => AccessLogWriter.Open(accessLog.Output, configDirectory, sp.GetRequiredService<EdgeMetrics>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AccessLogWriter>>()));
            services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        }
        services.AddSingleton(sp =>
        {
            var runtime = sp.GetRequiredService<RuntimeHolder>();
            var listeners = sp.GetRequiredService<ListenerMap>();
            return new GatewayView(() => runtime.HasSnapshot ? runtime.Current.Config : null, listeners.GatewayIndexFor,
                context => runtime.Current.Clients.Resolve(context));
        });
        services.AddSingleton(sp => new AccessLogRecorder(sp.GetService<AccessLogWriter>(), sp.GetRequiredService<GatewayView>(), sp.GetRequiredService<TimeProvider>()));
    }
}

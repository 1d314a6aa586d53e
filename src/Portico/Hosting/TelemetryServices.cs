using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Portico.Configuration;
using Portico.Problems;
using Portico.Telemetry;

namespace Portico.Hosting;

/// <summary>
/// Sets up OpenTelemetry from the `telemetry:` section and the standard OTEL_* environment variables: the meters
/// exported (Portico's and the platform's), the Prometheus scrape on the telemetry listener, OTLP export of
/// metrics and traces, and trace sampling. Nothing is set up when nothing would be exported: instruments then
/// cost a check per use and no span is made.
/// </summary>
internal static class TelemetryServices
{
    /// What the config and the environment turn on.
    internal sealed record Plan(bool Scrape, bool MetricsOtlp, bool Tracing, bool TracesOtlp)
    {
        public bool Metrics => Scrape || MetricsOtlp;
    }

    internal static Plan PlanFor(TelemetryDefinition t, Func<string, string?> environment)
    {
        static bool Set(string? value) => !string.IsNullOrWhiteSpace(value);
        var sdkDisabled = string.Equals(environment("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase);
        var otlpAny = t.Otlp is not null || Set(environment("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var metricsOtlp = !sdkDisabled && t.Metrics is { Enabled: true, Otlp: true } && (otlpAny || Set(environment("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")));
        var tracesOtlp = otlpAny || Set(environment("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        var tracing = !sdkDisabled && (t.Tracing.Enabled ?? tracesOtlp);
        return new Plan(!sdkDisabled && t.Listen is not null && t.Metrics.Enabled, metricsOtlp, tracing, tracing && tracesOtlp);
    }

    /// <summary>Registers what the plan turns on; returns the plan (read once: the listener and spans follow it).</summary>
    public static Plan Add(IServiceCollection services, PorticoConfig config)
    {
        services.AddSingleton<PorticoMetrics>();
        var t = config.Telemetry;
        var plan = PlanFor(t, Environment.GetEnvironmentVariable);
        if (!plan.Metrics && !plan.Tracing) return plan;
        var otel = services.AddOpenTelemetry().ConfigureResource(resource =>
        {
            // An explicit name wins; otherwise OTEL_SERVICE_NAME (read by the SDK's environment detector), else "portico".
            if (t.ServiceName is { } name) resource.AddService(name, serviceVersion: PorticoDiagnostics.ServiceVersion);
            else if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")))
                resource.AddService("portico", serviceVersion: PorticoDiagnostics.ServiceVersion);
        });
        if (plan.Metrics)
        {
            otel.WithMetrics(metrics =>
            {
                metrics.AddMeter(PorticoDiagnostics.MeterName).AddMeter(PorticoDiagnostics.PlatformMeters);
                // Per-request platform instruments that Portico's own cover (per route, per service and destination);
                // each costs an SDK recording on every request (bench: metrics on vs off). Dropped ones stay unrecorded.
                foreach (var dropped in PorticoDiagnostics.DroppedPlatformInstruments) metrics.AddView(dropped, MetricStreamConfiguration.Drop);
                if (plan.Scrape) metrics.AddPrometheusExporter();
                if (plan.MetricsOtlp)
                {
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        Configure(exporter, t.Otlp, "/v1/metrics");
                        if (t.Otlp?.Interval is { } interval)
                            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Math.Clamp(interval.TotalMilliseconds, 1, int.MaxValue);
                    });
                }
            });
        }
        if (plan.Tracing)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddSource(PorticoDiagnostics.ActivitySourceName);
                // A continued trace keeps its caller's decision; new ones are sampled at the ratio.
                tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(t.Tracing.SampleRatio)));
                if (plan.TracesOtlp) tracing.AddOtlpExporter(exporter => Configure(exporter, t.Otlp, "/v1/traces"));
            });
        }
        return plan;
    }

    /// Builds the meter provider now (the host would at start), so what is recorded before the host starts — the
    /// first config being applied — is counted too.
    public static void StartEarly(IServiceProvider services) => services.GetService<MeterProvider>();

    /// The server spans of this host, and whether the gateway a request arrived at trusts its client's trace context
    /// (read from the live config, so a reload applies).
    public static ServerSpans ServerSpans(Plan plan, GatewayView gateways) =>
        new(plan.Tracing, context => gateways.Config is not { } live || gateways.GatewayOf(context, live) is not { } gateway || gateway.Telemetry.TrustTraceContext);

    /// The config file's OTLP settings over the environment's (OtlpExporterOptions reads OTEL_EXPORTER_OTLP_* first).
    static void Configure(OtlpExporterOptions exporter, OtlpDefinition? otlp, string signalPath)
    {
        if (otlp is null) return;
        if (otlp.Protocol is { } protocol) exporter.Protocol = protocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (otlp.Endpoint is { } endpoint)
        {
            // An endpoint set in code is used as given; over http/protobuf each signal has its own path under the base URL.
            exporter.Endpoint = exporter.Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/') + signalPath)
                : endpoint;
        }
        if (otlp.Headers.Count > 0)
            exporter.Headers = string.Join(",", otlp.Headers.Select(h => $"{h.Key}={Uri.EscapeDataString(h.Value)}"));
    }

    /// Binds the telemetry listener (HTTP/1.1) beside the gateways' and records its port once known.
    public static void Listen(KestrelServerOptions kestrel, string address, PorticoSetup setup)
    {
        var uri = new Uri(address);
        var host = uri.Host.Trim('[', ']');
        void Configure(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http1;
            setup.TelemetryBound = listen;
            if (uri.Port != 0) setup.Listeners.SetTelemetry(uri.Port);
        }
        if (host is "localhost") kestrel.ListenLocalhost(uri.Port, Configure);
        else kestrel.Listen(host is "*" or "+" ? IPAddress.Any : IPAddress.Parse(host), uri.Port, Configure);
    }

    /// The telemetry listener's pipeline: the Prometheus scrape when metrics are on, a problem+json 404 for the rest.
    /// Its requests never reach a gateway's routes, limits or logs.
    public static void MapListener(IApplicationBuilder app, PorticoSetup setup)
    {
        var map = setup.Listeners;
        var path = setup.Config.Telemetry.Metrics.Path;
        var scrape = setup.Telemetry.Scrape;
        app.MapWhen(map.IsTelemetry, telemetry =>
        {
            if (scrape) telemetry.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: null, path: path, configureBranchedPipeline: null, optionsName: null);
            telemetry.Run(context => Problem.WriteAsync(context, StatusCodes.Status404NotFound, Problem.Types.NotFound, "Not Found",
                scrape ? $"The telemetry listener serves {path}." : "The telemetry listener serves nothing while metrics are off."));
        });
    }
}

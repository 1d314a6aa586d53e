using System.Net;
using Microsoft.AspNetCore.Builder;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Telemetry;

/// OTLP export over http/protobuf to a receiver in the test (a Kestrel app taking what an OpenTelemetry collector
/// would): the config's endpoint, protocol, headers and interval reach the exporter.
public sealed class OtlpExportTests
{
    static Task<TestBackend> Receiver() => TestBackend.StartAsync("collector", app =>
    {
        foreach (var signal in new[] { "/v1/metrics", "/v1/traces" })
        {
            app.MapPost(signal, async context =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                // An empty ExportServiceResponse: everything accepted.
                context.Response.ContentType = "application/x-protobuf";
            });
        }
    });

    [Fact]
    public async Task OtlpHttpProtobuf_FromTheConfig_PushesMetricsAndTracesWithTheConfiguredHeaders()
    {
        await using var receiver = await Receiver();
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              api: { urls: ["{{backend.Url}}"] }
            routes:
              - { name: hello, match: { path: /hello }, service: api }
            telemetry:
              serviceName: edge-under-test
              otlp:
                endpoint: "{{receiver.Url}}"
                protocol: http/protobuf
                headers: { x-collector-key: "key with spaces, commas=and equals" }
                interval: 1s
            """);
        using var client = gateway.CreateClient();
        using (var response = await client.GetAsync("/hello", TestContext.Current.CancellationToken))
            response.StatusCode.ShouldBe(HttpStatusCode.OK);

        await Poll.UntilAsync(() => receiver.Received.Any(r => r.PathAndQuery == "/v1/metrics") && receiver.Received.Any(r => r.PathAndQuery == "/v1/traces"),
            TimeSpan.FromSeconds(60));
        foreach (var export in receiver.Received.Where(r => r.Method == "POST"))
        {
            export.Headers["Content-Type"].ShouldBe("application/x-protobuf");
            // Percent-encoded in the exporter's options, decoded by it: the value arrives as written.
            export.Headers["x-collector-key"].ShouldBe("key with spaces, commas=and equals");
        }
        // Nothing of the export went through the gateway or to the service.
        backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/hello"]);
    }

    [Fact]
    public async Task NoTelemetrySection_NothingIsExported_AndNoListenerIsBound()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              api: { urls: ["{{backend.Url}}"] }
            routes:
              - { name: hello, match: { path: /hello }, service: api }
            """);
        using var client = gateway.CreateClient();
        using (var response = await client.GetAsync("/hello", TestContext.Current.CancellationToken))
            response.StatusCode.ShouldBe(HttpStatusCode.OK);

        gateway.App.Services.GetService(typeof(OpenTelemetry.Metrics.MeterProvider)).ShouldBeNull();
        gateway.App.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)).ShouldBeNull();
        gateway.TelemetryAddress.Port.ShouldBe(0);
    }
}

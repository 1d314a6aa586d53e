using System.Diagnostics;
using System.Net;
using OpenTelemetry.Trace;
using Portico.Hosting;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Telemetry;

/// Portico in an app that traces its own requests (ASP.NET Core's activity source listened to). Alone: while it
/// runs, every host in the process makes ASP.NET Core activities, which other tests' server spans would nest under.
[Collection(AspNetCoreTracingCollection.Name)]
public sealed class EmbeddedTracingTests
{
    const string ClientTrace = "0af7651916cd43dd8448eb211c80319c";
    const string ClientParent = "b7ad6b7169203331";

    static async Task<(EmbeddedApp App, string Dir)> StartAsync(TestBackend backend, ExportedSpans spans, bool trust)
    {
        var dir = Directory.CreateTempSubdirectory("portico-embedded-tracing-").FullName;
        var path = Path.Combine(dir, "portico.yaml");
        await File.WriteAllTextAsync(path, $$"""
            telemetry: { tracing: { enabled: true } }
            gateways:
              default: { listen: ["http://127.0.0.1:0"], trustTraceContext: {{(trust ? "true" : "false")}} }
            services:
              items: { urls: ["{{backend.Url}}"] }
            routes:
              - { name: items, match: { path: "/items/{id}" }, service: items }
            """, TestContext.Current.CancellationToken);
        var app = await EmbeddedApp.StartAsync(builder =>
        {
            builder.Services.AddPortico(o => o.ConfigPath = path);
            builder.Services.ConfigureOpenTelemetryTracerProvider(b => b.AddSource("Microsoft.AspNetCore").AddInMemoryExporter(spans));
        });
        return (app, dir);
    }

    static async Task<HttpResponseMessage> GetWithTraceAsync(EmbeddedApp app)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1");
        request.Headers.Add("traceparent", $"00-{ClientTrace}-{ClientParent}-01");
        return await app.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task TrustingGateway_AppTracesRequests_ServerSpanIsAChildOfTheAppsSpanInTheClientsTrace()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        var (app, dir) = await StartAsync(backend, spans, trust: true);
        await using (app)
        {
            var response = await GetWithTraceAsync(app);

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var server = await spans.ServerSpanAsync(new Uri(app.GatewayUrl).Port);
            var trace = spans.Of(server.TraceId);
            server.TraceId.ToHexString().ShouldBe(ClientTrace);
            var host = trace.Single(s => s.SpanId == server.ParentSpanId);
            host.Source.Name.ShouldBe("Microsoft.AspNetCore");
            host.ParentSpanId.ToHexString().ShouldBe(ClientParent);
            var call = trace.Single(s => s.Kind == ActivityKind.Client);
            call.ParentSpanId.ShouldBe(server.SpanId);
            TracedGateway.Parse(backend.Received.ShouldHaveSingleItem().Headers["traceparent"]).ShouldBe((ClientTrace, call.SpanId.ToHexString()));
            // The backend runs in this process too: its own ASP.NET Core span continues the client span.
            trace.Where(s => s.Source.Name == "Microsoft.AspNetCore" && s.ParentSpanId == call.SpanId).ShouldHaveSingleItem();
        }
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task UntrustingGateway_AppTracesRequests_ServerSpanStartsANewTraceAndTheUpstreamGetsIt()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        var (app, dir) = await StartAsync(backend, spans, trust: false);
        await using (app)
        {
            var response = await GetWithTraceAsync(app);

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var server = await spans.ServerSpanAsync(new Uri(app.GatewayUrl).Port);
            server.TraceId.ToHexString().ShouldNotBe(ClientTrace);
            server.ParentSpanId.ShouldBe(default);
            var received = backend.Received.ShouldHaveSingleItem();
            TracedGateway.Parse(received.Headers["traceparent"]).Trace.ShouldBe(server.TraceId.ToHexString());
            received.Headers.Values.ShouldAllBe(v => !v.Contains(ClientTrace, StringComparison.Ordinal));
        }
        Directory.Delete(dir, recursive: true);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AspNetCoreTracingCollection
{
    public const string Name = "ASP.NET Core tracing (process-wide)";
}

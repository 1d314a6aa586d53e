using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Portico.Runtime;

namespace Portico.Health;

/// `/healthz` (the process is up) and `/readyz` (a config is loaded, every required service has a healthy
/// destination, and the gateway is not shutting down).
internal sealed class ReadinessEndpoints(RuntimeHolder runtime, IHostApplicationLifetime lifetime)
{
    static readonly byte[] Live = """{"status":"live"}"""u8.ToArray();

    public Task LiveAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.Body.WriteAsync(Live).AsTask();
    }

    public async Task ReadyAsync(HttpContext context)
    {
        var stopping = lifetime.ApplicationStopping.IsCancellationRequested;
        var snapshot = runtime.HasSnapshot ? runtime.Current : null;
        var notReady = snapshot?.Services.Values.Where(s => s.Definition.Required && !s.IsReady).Select(s => s.Name).Order(StringComparer.Ordinal).ToList() ?? [];
        var ready = !stopping && snapshot is not null && notReady.Count == 0;
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", ready ? "ready" : stopping ? "stopping" : "not-ready");
            if (snapshot is not null) json.WriteNumber("configVersion", snapshot.Version);
            json.WriteStartArray("unavailableServices");
            foreach (var name in notReady) json.WriteStringValue(name);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
    }
}

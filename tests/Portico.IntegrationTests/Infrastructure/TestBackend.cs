using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Portico.IntegrationTests.Infrastructure;

/// A real Kestrel server on 127.0.0.1 with a random port, for the gateway to forward to. Records every request
/// it receives (method, path+query, headers) so tests can assert what reached the upstream.
public sealed class TestBackend : IAsyncDisposable
{
    readonly WebApplication _app;

    public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers)
    {
        /// The request target exactly as it arrived (PathAndQuery is rebuilt from the decoded path, which
        /// cannot tell %2541 from %41).
        public string RawTarget { get; init; } = "";
    }

    TestBackend(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();
    public string Url { get; private set; } = "";
    public int Port { get; private set; }

    /// Starts a backend; <paramref name="map"/> adds its endpoints. Without a matching endpoint it answers
    /// `{"backend": name, "path": ...}` for every path.
    public static async Task<TestBackend> StartAsync(string name, Action<WebApplication>? map = null, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var backend = new TestBackend(app);
        app.Use(async (context, next) =>
        {
            backend.Received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase))
            {
                RawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "",
            });
            await next(context);
        });
        map?.Invoke(app);
        app.MapFallback((HttpContext context) => Results.Json(new { backend = name, path = context.Request.Path.Value, query = context.Request.QueryString.Value }));
        await app.StartAsync();
        backend.Url = app.Urls.First();
        backend.Port = new Uri(backend.Url).Port;
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

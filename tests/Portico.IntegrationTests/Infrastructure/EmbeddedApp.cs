using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Portico.Hosting;

namespace Portico.IntegrationTests.Infrastructure;

/// An app that embeds Portico (AddPortico + MapPortico) on real Kestrel: the app's own port and the default
/// gateway's listener, a client whose base address is the gateway's, and GET helpers.
public sealed class EmbeddedApp : IAsyncDisposable
{
    EmbeddedApp(WebApplication app, string gatewayUrl, string appUrl)
    {
        App = app;
        GatewayUrl = gatewayUrl;
        AppUrl = appUrl;
        Client = new HttpClient { BaseAddress = new Uri(gatewayUrl) };
    }

    public WebApplication App { get; }

    /// `http://127.0.0.1:port` of the default gateway's listener.
    public string GatewayUrl { get; }

    /// The app's own address (UseUrls), beside the gateway's.
    public string AppUrl { get; }

    /// A client to the gateway's listener (absolute URLs reach the app's port).
    public HttpClient Client { get; }

    /// Builds the app on a loopback port of its own: <paramref name="configure"/> adds Portico (and what else the
    /// test needs) to the builder, <paramref name="map"/> maps the app's own endpoints before MapPortico.
    public static async Task<EmbeddedApp> StartAsync(Action<WebApplicationBuilder> configure, Action<WebApplication>? map = null, bool slim = true)
    {
        var builder = slim ? WebApplication.CreateSlimBuilder() : WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configure(builder);
        var app = builder.Build();
        try
        {
            map?.Invoke(app);
            app.MapPortico();
            await app.StartAsync();
            var gatewayPort = PorticoHost.PortsOf(app, "default").Single();
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            return new EmbeddedApp(app, $"http://127.0.0.1:{gatewayPort}", addresses.Single(a => !a.EndsWith($":{gatewayPort}", StringComparison.Ordinal)));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// A GET of <paramref name="url"/> (a path on the gateway, or an absolute URL) with an API key (X-Api-Key) if given.
    public async Task<HttpResponseMessage> GetAsync(string url, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// Waits until <paramref name="done"/> holds, polling; fails with <paramref name="what"/> after 30 s.
    public static async Task WaitUntilAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} within 30 s");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// The problem+json body of <paramref name="response"/>, after checking its media type.
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
    }
}

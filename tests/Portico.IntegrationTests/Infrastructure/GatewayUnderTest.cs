using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Portico.Compilation;
using Portico.Hosting;

namespace Portico.IntegrationTests.Infrastructure;

/// Portico started in-process from YAML text written to a temp file (so reload-by-file works), listening on
/// 127.0.0.1 with ports chosen by the OS unless the YAML says otherwise.
internal sealed class GatewayUnderTest : IAsyncDisposable
{
    readonly WebApplication _app;

    GatewayUnderTest(WebApplication app, string configPath)
    {
        _app = app;
        ConfigPath = configPath;
    }

    public string ConfigPath { get; }
    public WebApplication App => _app;
    public GatewayRuntime Runtime => _app.Services.GetRequiredService<GatewayRuntime>();

    /// YAML with a `gateways:` section is used as is; otherwise a default gateway on a free port is added.
    public static async Task<GatewayUnderTest> StartAsync(string yaml, bool watch = false, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        if (!yaml.Contains("gateways:", StringComparison.Ordinal))
            yaml = "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n" + yaml;
        var dir = Directory.CreateTempSubdirectory("portico-test-");
        var path = Path.Combine(dir.FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, yaml);
        var app = PorticoHost.Create(new PorticoHostOptions { ConfigPath = path, WatchConfigFile = watch, LogFormat = "text", TimeProvider = time, ConfigureServices = services });
        await app.StartAsync();
        return new GatewayUnderTest(app, path);
    }

    /// Base URL of a gateway's first listener ("default" when the YAML names none).
    public Uri BaseAddress(string gateway = "default") => new($"http://127.0.0.1:{PorticoHost.PortsOf(_app, gateway)[0]}");

    /// Base URL of the telemetry listener (telemetry.listen), once it is bound.
    public Uri TelemetryAddress => new($"http://127.0.0.1:{_app.Services.GetRequiredService<Portico.Routing.ListenerMap>().TelemetryPort}");

    public HttpClient CreateClient(string gateway = "default", HttpMessageHandler? handler = null) =>
        new(handler ?? new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = BaseAddress(gateway) };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(Path.GetDirectoryName(ConfigPath)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portico.Demo.SampleServices;
using Portico.Hosting;

namespace Portico.Demo;

/// The whole demo in one process: the sample services on their fixed loopback ports, then the Portico
/// gateway with the demo config. Used by Program and by the README test.
public sealed class DemoHost : IAsyncDisposable
{
    /// The sample services, in start order (the gateway starts last, once its upstreams listen).
    static readonly (string Name, int Port, Func<WebApplication> Create)[] SampleServices =
    [
        (MonolithService.Name, MonolithService.Port, MonolithService.Create),
        (UsersService.Name, UsersService.Port, UsersService.Create),
        (UsersV2Service.Name, UsersV2Service.Port, UsersV2Service.Create),
        (CreditsService.Name, CreditsService.Port, CreditsService.Create),
        (CheckoutV2Service.Name, CheckoutV2Service.Port, CheckoutV2Service.Create),
        (IdentityService.Name, IdentityService.Port, IdentityService.Create),
        (InventoryService.Name, InventoryService.Port, InventoryService.Create),
        (CatalogService.Name, CatalogService.Port, CatalogService.Create),
    ];

    /// Lines the demo prints to try; the README lists the same ones and a test runs them all.
    public static readonly IReadOnlyList<string> CurlLines =
    [
        "curl -sS -f -H 'X-Api-Key: pk_uyzu_UwW8g92jyuQqGuVQluf6UqawSSXfCOxOweOWU8' http://127.0.0.1:8080/api/users/1",
        "curl -sS -f -H \"Authorization: Bearer $(curl -sS -f -H 'Accept: text/plain' -d username=alice -d password=alice-demo-pass http://127.0.0.1:8080/auth/token)\" http://127.0.0.1:8080/api/users/2",
        "curl -sS -f -H \"Authorization: Bearer $(curl -sS -f -H 'Accept: text/plain' -d username=alice -d password=alice-demo-pass http://127.0.0.1:8080/auth/token)\" http://127.0.0.1:8080/users/me",
        "curl -sS -f -o /dev/null -c /tmp/portico-demo.cookies -d username=alice -d password=alice-demo-pass http://127.0.0.1:8080/auth/login && curl -sS -f -b /tmp/portico-demo.cookies http://127.0.0.1:8080/users/me",
        "curl -sS -f -H 'Api-Version: 2' http://127.0.0.1:8080/api/users/1",
        "curl -sS -f http://127.0.0.1:8080/api/v2/users/2",
        "curl -sS -f -H 'Accept: application/vnd.portico.v2+json' http://127.0.0.1:8080/api/users/3",
        "curl -sS -f http://127.0.0.1:8080/api/credits/ACC-1001",
        "curl -sS -f -o /dev/null http://127.0.0.1:8080/api/credits/ACC-1002 && curl -sS -f -i http://127.0.0.1:8080/api/credits/ACC-1002",
        "curl -sS -f http://127.0.0.1:8080/api/profile/1",
        "curl -sS -f -H 'Accept: application/xml' http://127.0.0.1:8080/api/profile/1",
        "curl -sS -f -i http://127.0.0.1:8080/api/profile/4",
        "curl -sS -f -i http://127.0.0.1:8080/api/checkout/cart",
        "curl -sS -f --cookie portico-canary=checkout-v2 http://127.0.0.1:8080/api/checkout/cart",
        "curl -sS -f http://127.0.0.1:8080/api/items/SKU-1",
        "curl -sS -f -H 'Accept: application/xml' http://127.0.0.1:8080/api/items/SKU-2",
        "curl -sS -f -H 'Accept: application/x-ndjson' 'http://127.0.0.1:8080/api/items?limit=2'",
        "curl -sS -f http://127.0.0.1:8080/api/products/1",
        "curl -sS -f -H 'Accept: application/xml' http://127.0.0.1:8080/api/products/2",
        "curl -sS -i -H 'Content-Type: application/json' -d '{\"sku\":\"SKU-1\",\"quantity\":2}' http://127.0.0.1:8080/api/orders",
        "curl -sS -f -X POST 'http://127.0.0.1:8080/orders/legacy?page=2'",
        "curl -sS -f http://127.0.0.1:8080/readyz",
        "curl -sS -f -i http://127.0.0.1:8080/api/limited/ping",
        "curl -sS -f http://127.0.0.1:9464/metrics | grep '^http_server_request_duration_seconds_count'",
    ];

    /// Shows a rate limit running out: five 200s, then 429 (not a `curl` line: it loops).
    public const string RateLimitLoop = "for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code} ' http://127.0.0.1:8080/api/limited/ping; done; echo";

    readonly List<(string Name, string Url, WebApplication App)> _running;

    DemoHost(List<(string, string, WebApplication)> running, string configPath, string gatewayUrl)
    {
        _running = running;
        ConfigPath = configPath;
        GatewayUrl = gatewayUrl;
    }

    public string ConfigPath { get; }
    public string GatewayUrl { get; }
    public WebApplication Gateway => _running[^1].App;

    /// Name and URL of every server the demo runs, the gateway last.
    public IEnumerable<(string Name, string Url)> Servers => _running.Select(r => (r.Name, r.Url));

    /// Starts everything; on any failure stops what already started. Throws <see cref="DemoPortInUseException"/>
    /// when a fixed port is taken and <see cref="Configuration.ConfigException"/> when the config is invalid.
    public static async Task<DemoHost> StartAsync(string? configPath = null, CancellationToken cancellationToken = default)
    {
        configPath = Path.GetFullPath(configPath ?? DemoConfig.Locate());
        var running = new List<(string, string, WebApplication)>();
        try
        {
            foreach (var (name, port, create) in SampleServices)
            {
                var app = create();
                await StartAsync(app, name, port.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
                running.Add((name, $"http://127.0.0.1:{port}", app));
            }

            var gateway = PorticoHost.Create(new PorticoHostOptions
            {
                ConfigPath = configPath,
                WatchConfigFile = true,
                LogFormat = "text",
                ConfigureServices = services => services.AddSingleton<IHostLifetime, DemoLifetime>(),
            });
            var config = PorticoHost.CurrentConfig(gateway.Services);
            var listen = config.GatewayNames.SelectMany(config.ListenAddressesOf).ToList();
            // 9464: the telemetry listener of the demo's portico.yaml (metrics).
            var ports = string.Join(" or ", listen.Select(l => new Uri(l).Port).Distinct().Append(9464));
            await StartAsync(gateway, "the Portico gateway", ports, cancellationToken).ConfigureAwait(false);
            running.Add(("gateway", listen[0].TrimEnd('/'), gateway));
            await WaitUntilReadyAsync(listen[0].TrimEnd('/'), cancellationToken).ConfigureAwait(false);
            return new DemoHost(running, configPath, listen[0].TrimEnd('/'));
        }
        catch
        {
            await StopAsync(running, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    static async Task StartAsync(WebApplication app, string name, string ports, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (IsAddressInUse(ex))
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new DemoPortInUseException(name, ports, ex);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// Returns once the gateway's /readyz says every required service passed its first health probe, or after 10 seconds.
    static async Task WaitUntilReadyAsync(string gatewayUrl, CancellationToken cancellationToken)
    {
        // Readiness raises no event; the services already listen, so the first probes take milliseconds.
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(new Uri(gatewayUrl + "/readyz"), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    static bool IsAddressInUse(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }) return true;
        }
        return false;
    }

    /// Stops the gateway first (it drains in-flight requests), then the services behind it.
    public Task StopAsync(CancellationToken cancellationToken = default) => StopAsync(_running, cancellationToken);

    static async Task StopAsync(List<(string Name, string Url, WebApplication App)> running, CancellationToken cancellationToken)
    {
        for (var i = running.Count - 1; i >= 0; i--)
        {
            var app = running[i].App;
            running.RemoveAt(i);
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}

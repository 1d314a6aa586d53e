using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Hosting;

namespace Portico.Embedded.Tests;

/// The sample app through real HTTP: its own endpoint on its port; Portico's orders route on the gateway's listener,
/// with the tenant-check policy deciding before the orders service (a Kestrel app here) sees anything.
public sealed class EmbeddedAppTests : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-embedded-sample").FullName;
    readonly ConcurrentQueue<(string Path, string? TenantId)> _orders = new();
    WebApplication _service = null!;
    WebApplication _app = null!;
    readonly HttpClient _client = new();
    string _appUrl = "";
    string _gatewayUrl = "";

    public async ValueTask InitializeAsync()
    {
        // The orders service: records what reaches it.
        var serviceBuilder = WebApplication.CreateSlimBuilder();
        serviceBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        _service = serviceBuilder.Build();
        _service.MapGet("/orders/{id}", (HttpRequest request, string id) =>
        {
            _orders.Enqueue((request.Path, request.Headers["X-Tenant-Id"].FirstOrDefault()));
            return Results.Json(new { id });
        });
        await _service.StartAsync();
        var serviceUrl = Addresses(_service).Single();

        // The sample's own portico.yaml, pointed at that service and at a free port.
        var sample = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "portico.yaml"));
        var config = Path.Combine(_dir, "portico.yaml");
        await File.WriteAllTextAsync(config, sample.Replace("${ORDERS_URL:-http://127.0.0.1:5101}", serviceUrl, StringComparison.Ordinal)
            .Replace("http://127.0.0.1:8090", "http://127.0.0.1:0", StringComparison.Ordinal));

        _app = EmbeddedApp.Create(["--urls", "http://127.0.0.1:0"], config);
        await _app.StartAsync();
        var gatewayPort = PorticoHost.PortsOf(_app, "default").Single();
        _gatewayUrl = $"http://127.0.0.1:{gatewayPort}";
        _appUrl = Addresses(_app).Single(a => !a.EndsWith($":{gatewayPort}", StringComparison.Ordinal));
    }

    static ICollection<string> Addresses(WebApplication app) => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _service.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    async Task<HttpResponseMessage> GetAsync(string url, string? tenant = null, string? tenantId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (tenant is not null) request.Headers.Add("X-Tenant", tenant);
        if (tenantId is not null) request.Headers.Add("X-Tenant-Id", tenantId);
        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AppEndpoint_AnswersOnTheAppsPort()
    {
        using var response = await GetAsync(_appUrl + "/tenants");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonSerializer.Deserialize<string[]>(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe(["acme", "globex"]);
    }

    [Fact]
    public async Task KnownTenant_ReachesTheService_WithTheTenantsId()
    {
        // A client-sent X-Tenant-Id is replaced by the policy's.
        using var response = await GetAsync(_gatewayUrl + "/orders/42", tenant: "acme", tenantId: "t-9999");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _orders.ShouldBe([("/orders/42", "t-1001")]);
    }

    [Theory]
    [InlineData(null, 400)]
    [InlineData("initech", 403)]
    public async Task MissingOrUnknownTenant_RefusedByThePolicy_ServiceSeesNothing(string? tenant, int status)
    {
        using var response = await GetAsync(_gatewayUrl + "/orders/42", tenant);

        ((int)response.StatusCode).ShouldBe(status);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        problem.GetProperty("type").GetString().ShouldBe("urn:portico:problem:policy-rejected");
        _orders.ShouldBeEmpty();
    }

    [Fact]
    public void ConfigNamingAnUnregisteredPolicy_RefusedWithItsLocation()
    {
        var config = Path.Combine(_dir, "other.yaml");
        File.WriteAllText(config, """
            services:
              orders: { urls: ["http://127.0.0.1:5101"] }
            routes:
              - name: orders
                match: { path: "/orders/{id}" }
                service: orders
                policies: [tenant-chek]
            """);

        var error = Should.Throw<Configuration.ConfigException>(() => EmbeddedApp.Create([], config));

        var only = error.Errors.ShouldHaveSingleItem();
        only.Path.ShouldBe("routes[0].policies");
        only.Message.ShouldContain("unknown policy 'tenant-chek'");
        only.Hint!.ShouldContain("tenant-check");
        only.Location!.Value.Line.ShouldBe(7);
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.IntegrationTests.Infrastructure;

/// The setup most gateway tests share: one test backend, a test identity provider when the config needs a JWKS,
/// an in-process gateway whose YAML names them, and a client to its default gateway. Disposed in reverse order.
public sealed class GatewayFixture : IAsyncDisposable
{
    readonly TestIdentityProvider? _idp;
    GatewayUnderTest? _gateway;
    HttpClient? _client;

    GatewayFixture(TestBackend backend, TestIdentityProvider? idp)
    {
        Backend = backend;
        _idp = idp;
    }

    public TestBackend Backend { get; }
    public TestIdentityProvider Idp => _idp ?? throw new InvalidOperationException("Started without an identity provider.");
    internal GatewayUnderTest Gateway => _gateway!;
    public HttpClient Client => _client!;

    /// Starts a backend named <paramref name="service"/> (answering as TestBackend does, plus <paramref name="map"/>),
    /// the identity provider if asked for, then the gateway from the YAML <paramref name="yaml"/> writes for them
    /// (<paramref name="time"/> and <paramref name="services"/> as for GatewayUnderTest.StartAsync).
    public static async Task<GatewayFixture> StartAsync(string service, Func<GatewayFixture, string> yaml, bool identityProvider = false,
        Action<WebApplication>? map = null, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        var fixture = new GatewayFixture(await TestBackend.StartAsync(service, map), identityProvider ? await TestIdentityProvider.StartAsync() : null);
        try
        {
            fixture._gateway = await GatewayUnderTest.StartAsync(yaml(fixture), time: time, services: services);
            fixture._client = fixture._gateway.CreateClient();
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    /// A GET through the gateway with a bearer token and/or an API key (X-Api-Key), as given.
    public async Task<HttpResponseMessage> GetAsync(string path, string? bearer = null, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_idp is not null) await _idp.DisposeAsync();
        await Backend.DisposeAsync();
    }
}

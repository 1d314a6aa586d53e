using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Portico.Hosting;
using Portico.Identity;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Aggregation;

public sealed class AggregationIdentityTests
{
    /// Stands in for edge authentication: sets the identity feature the way it does, before routing.
    sealed class FixedIdentity : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Features.Set(new GatewayIdentity("user-42", "mobile-app", ["profile:read", "credits:read"], "jwt"));
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    [Fact]
    public async Task Aggregate_AuthenticatedCaller_IdentityReachesEveryPart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var users = await TestBackend.StartAsync("users");
        await using var credits = await TestBackend.StartAsync("credits");
        var loaded = ConfigLoader.LoadText($$"""
            gateways:
              default: { listen: ["http://127.0.0.1:0"] }
            services:
              users: { urls: ["{{users.Url}}"] }
              credits: { urls: ["{{credits.Url}}"] }
            routes:
              - name: profile
                match: { path: "/profile" }
                aggregate:
                  parts:
                    user: { service: users, path: /me }
                    credit: { service: credits, path: /mine }
            """, "identity.yaml", _ => null, []);
        loaded.Errors.ShouldBeEmpty();
        await using var app = PorticoHost.Create(new PorticoHostOptions
        {
            Config = loaded.Config,
            WatchConfigFile = false,
            LogFormat = "text",
            ConfigureServices = services => services.AddSingleton<IStartupFilter, FixedIdentity>(),
        });
        await app.StartAsync(ct);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{PorticoHost.PortsOf(app, "default")[0]}") };

        var response = await client.GetAsync("/profile", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var received in new[] { users.Received.ShouldHaveSingleItem(), credits.Received.ShouldHaveSingleItem() })
        {
            received.Headers["X-User-Id"].ShouldBe("user-42");
            received.Headers["X-Consumer"].ShouldBe("mobile-app");
            received.Headers["X-User-Scopes"].ShouldBe("profile:read credits:read");
        }
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Aggregate_ApiKeyCallerAndRenamedIdentityHeaders_PartsGetTheConfiguredNamesNotClientCopies()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Portico.Auth.ApiKeys.Generate();
        await using var users = await TestBackend.StartAsync("users");
        await using var credits = await TestBackend.StartAsync("credits");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
              credits: { urls: ["{{credits.Url}}"] }
            auth:
              apikey: { header: X-Api-Key }
              identityHeaders: { subject: X-Auth-Subject, scopes: X-Auth-Scopes, consumer: X-Auth-Consumer, method: X-Auth-Via, groups: X-Auth-Groups }
              consumers:
                mobile-app: { scopes: [profile:read], groups: [partners], keys: ["{{Portico.Auth.ApiKeys.Hash(key)}}"] }
            routes:
              - name: profile
                match: { path: "/profile" }
                auth: [apikey]
                aggregate:
                  parts:
                    user: { service: users, path: /me }
                    credit: { service: credits, path: /mine }
            """);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/profile");
        request.Headers.Add("X-Api-Key", key);
        request.Headers.Add("X-Auth-Subject", "forged");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var received in new[] { users.Received.ShouldHaveSingleItem(), credits.Received.ShouldHaveSingleItem() })
        {
            received.Headers["X-Auth-Subject"].ShouldBe("mobile-app");
            received.Headers["X-Auth-Consumer"].ShouldBe("mobile-app");
            received.Headers["X-Auth-Scopes"].ShouldBe("profile:read");
            received.Headers["X-Auth-Via"].ShouldBe("apikey");
            received.Headers["X-Auth-Groups"].ShouldBe("partners");
            received.Headers.ContainsKey("X-User-Id").ShouldBeFalse();
            received.Headers.ContainsKey("X-Api-Key").ShouldBeFalse();
        }
    }
}

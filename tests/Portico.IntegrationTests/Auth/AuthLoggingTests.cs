using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Auth;
using Portico.Hosting;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// Refused and accepted credentials leave a trace in the logs (route, scheme, reason) but never the credential:
/// every log message and exception text at trace level is searched for the keys, tokens and passwords sent.
public sealed class AuthLoggingTests
{
    sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Capturing(this, categoryName);

        public void Dispose()
        {
        }

        sealed class Capturing(CapturingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue($"{category} {formatter(state, exception)} {exception}");
        }
    }

    [Fact]
    public async Task Logs_AfterGoodAndBadCredentials_ContainNoKeyTokenOrPassword()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("users", b => b.MapPost("/auth/verify", async (Microsoft.AspNetCore.Http.HttpContext c) =>
            (await c.Request.ReadFormAsync())["password"] == "s3cret-login-pass"
                ? Microsoft.AspNetCore.Http.Results.Text("{\"sub\":\"alice\"}", "application/json")
                : Microsoft.AspNetCore.Http.Results.StatusCode(401)));
        await using var idp = await TestIdentityProvider.StartAsync();
        var key = ApiKeys.Generate();
        var expired = ApiKeys.Generate();
        var dir = Directory.CreateTempSubdirectory("portico-logs-");
        var path = Path.Combine(dir.FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, $$"""
            gateways:
              default: { listen: ["http://127.0.0.1:0"] }
            services:
              users: { urls: ["{{backend.Url}}"] }
            auth:
              apikey: {}
              basic: {}
              session: { login: { service: users, path: /auth/verify }, secure: false }
              jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{idp.JwksUrl}}" }
              consumers:
                app: { keys: ["{{ApiKeys.Hash(key)}}", { hash: "{{ApiKeys.Hash(expired)}}", expires: 2020-01-01 }] }
            routes:
              - name: users
                match: { path: "/users/{id}" }
                service: users
                auth: [apikey, jwt, basic, session]
                scopes: [users:read]
            server:
              logging: { level: trace }
            """, ct);
        using var capture = new CapturingProvider();
        var app = PorticoHost.Create(new PorticoHostOptions
        {
            ConfigPath = path,
            WatchConfigFile = false,
            LogFormat = "text",
            ConfigureServices = services => services.AddSingleton<ILoggerProvider>(capture),
        });
        await app.StartAsync(ct);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{PorticoHost.PortsOf(app, "default")[0]}") };
        var secrets = new List<string>
        {
            key, expired, ApiKeys.Generate(), idp.Token("alice"), idp.Token("bob", scope: "none"), idp.Token(expires: DateTime.UtcNow.AddMinutes(-5), notBefore: DateTime.UtcNow.AddMinutes(-10)),
            idp.Token(key: TestIdentityProvider.NewKey("unknown")), TestIdentityProvider.UnsignedToken(), idp.HmacWithPublicKeyToken(),
        };
        var statuses = new List<HttpStatusCode>();
        foreach (var secret in secrets)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
            if (secret.StartsWith("pk_", StringComparison.Ordinal))
            {
                request.Headers.Add("X-Api-Key", secret);
            }
            else
            {
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + secret);
            }
            using var response = await client.SendAsync(request, ct);
            statuses.Add(response.StatusCode);
        }
        using (var basic = new HttpRequestMessage(HttpMethod.Get, "/users/1"))
        {
            basic.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("app:pk_wrong-password-123")));
            secrets.Add("pk_wrong-password-123");
            secrets.Add(basic.Headers.Authorization!.Parameter!);
            using var response = await client.SendAsync(basic, ct);
            statuses.Add(response.StatusCode);
        }
        foreach (var password in new[] { "s3cret-login-pass", "wrong-login-pass" })
        {
            using var form = new FormUrlEncodedContent([new("username", "alice"), new("password", password)]);
            using var login = await client.PostAsync("/auth/login", form, ct);
            secrets.Add(password);
            if (!login.Headers.TryGetValues("Set-Cookie", out var setCookie)) continue;
            var cookie = setCookie.Single().Split(';')[0];
            secrets.Add(cookie["portico_session=".Length..]);
            using var withCookie = new HttpRequestMessage(HttpMethod.Post, "/users/1");
            withCookie.Headers.Add("Cookie", cookie);
            withCookie.Headers.Add("Origin", "https://evil.example");
            using var refused = await client.SendAsync(withCookie, ct);
            statuses.Add(refused.StatusCode);
        }
        await app.StopAsync(ct);
        await app.DisposeAsync();
        dir.Delete(recursive: true);

        statuses.ShouldContain(HttpStatusCode.OK);
        statuses.ShouldContain(HttpStatusCode.Unauthorized);
        statuses.ShouldContain(HttpStatusCode.Forbidden);
        var log = string.Join('\n', capture.Lines);
        log.ShouldContain("Refused on route users");
        foreach (var secret in secrets)
        {
            log.ShouldNotContain(secret);
            // A JWT's signature alone would be a leak too (header and payload are not secret).
            if (secret.Count(c => c == '.') == 2 && secret.Split('.')[2].Length > 0) log.ShouldNotContain(secret.Split('.')[2]);
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hostile;

/// Methods a protected route does not take: answered 405 (otherMethods: reject, the default for a protected
/// route with methods), or served by the anonymous catch-all when the route says otherMethods: next.
public sealed class MethodFallThroughTests : IAsyncLifetime
{
    static readonly string Key = ApiKeys.Generate();
    GatewayFixture _edge = null!;

    const string Routes = """
        routes:
          - name: users
            match: { path: "/api/users/{id}", methods: [GET] }
            service: api
            auth: [apikey]
          - name: users-create
            match: { path: "/api/users/{id}", methods: [POST] }
            service: api
            auth: [apikey]
            otherMethods: next
          - name: reports
            match: { path: "/reports/{id}", methods: [GET] }
            service: api
            auth: [apikey]
            otherMethods: next
          - name: limited
            match: { path: "/limited/{id}", methods: [GET, PUT] }
            service: api
            rateLimit: one
          - name: open
            match: { path: "/open/{id}", methods: [GET] }
            service: api
          - name: legacy
            match: { path: "/{**rest}" }
            service: api
        """;

    public async ValueTask InitializeAsync() => _edge = await GatewayFixture.StartAsync("api", f => $$"""
        services:
          api: { urls: ["{{f.Backend.Url}}"] }
        auth:
          apikey: { header: X-Api-Key }
          consumers:
            app: { keys: ["{{ApiKeys.Hash(Key)}}"] }
        rateLimits:
          one: { algorithm: fixed-window, limit: 1000, window: 1h, key: ip }
        """ + "\n" + Routes);

    public ValueTask DisposeAsync() => _edge.DisposeAsync();

    async Task<HttpResponseMessage> SendAsync(string method, string path, bool key = false)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (key) request.Headers.Add("X-Api-Key", Key);
        if (method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        return await _edge.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("OPTIONS")]
    public async Task OtherMethod_ProtectedRouteRejects_Is405WithAllowAndNeverReachesTheService(string method)
    {
        _edge.Backend.Received.Clear();

        using var response = await SendAsync(method, "/api/users/1");

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.ShouldBe(["GET", "HEAD", "POST"], ignoreOrder: true);
        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        problem.ContentType.ShouldBe("application/problem+json");
        problem.Type.ShouldBe("urn:portico:problem:method-not-allowed");
        _edge.Backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task OtherMethod_WithCredentials_IsStill405()
    {
        _edge.Backend.Received.Clear();

        using var response = await SendAsync("DELETE", "/api/users/1", key: true);

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        _edge.Backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Post_SecondRouteOnTheSamePathTakesIt_ReachesThatRouteNot405()
    {
        _edge.Backend.Received.Clear();

        using var anonymous = await SendAsync("POST", "/api/users/1");
        using var withKey = await SendAsync("POST", "/api/users/1", key: true);
        using var head = await SendAsync("HEAD", "/api/users/1");

        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        withKey.StatusCode.ShouldBe(HttpStatusCode.OK);
        head.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        _edge.Backend.Received.Select(r => (r.Method, r.PathAndQuery)).ShouldBe([("POST", "/api/users/1")]);
    }

    [Fact]
    public async Task OtherMethod_SpelledWithMergedSlashes_IsStill405()
    {
        _edge.Backend.Received.Clear();

        using var response = await SendAsync("DELETE", "/api//users/1");

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        _edge.Backend.Received.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("POST")]
    [InlineData("OPTIONS")]
    public async Task OtherMethod_RouteSaysNext_CatchAllServesItAnonymously(string method)
    {
        _edge.Backend.Received.Clear();

        using var response = await SendAsync(method, "/reports/7");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _edge.Backend.Received.Select(r => (r.Method, r.PathAndQuery)).ShouldBe([(method, "/reports/7")]);
        (await SendAsync("GET", "/reports/7")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OtherMethod_RateLimitedRoute_Is405ByDefault_UnprotectedRouteFallsThrough()
    {
        _edge.Backend.Received.Clear();

        using var limited = await SendAsync("DELETE", "/limited/1");
        using var open = await SendAsync("DELETE", "/open/1");

        limited.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        limited.Content.Headers.Allow.ShouldBe(["GET", "HEAD", "PUT"], ignoreOrder: true);
        open.StatusCode.ShouldBe(HttpStatusCode.OK);
        _edge.Backend.Received.Select(r => (r.Method, r.PathAndQuery)).ShouldBe([("DELETE", "/open/1")]);
    }

    /// `portico validate` on this YAML, written to a file of its own.
    static async Task<(int ExitCode, string Output)> ValidateAsync(string yaml)
    {
        var dir = Directory.CreateTempSubdirectory("portico-fallthrough-");
        var file = Path.Combine(dir.FullName, "portico.yaml");
        await File.WriteAllTextAsync(file, yaml, TestContext.Current.CancellationToken);
        return await CliProcess.RunAsync("validate", "-c", file);
    }

    [Fact]
    public async Task Validate_IssueConfigWithFallThrough_PrintsWarningNamingBothRoutesAndExitsZero()
    {
        var (exit, output) = await ValidateAsync("""
            services:
              api: { urls: ["http://127.0.0.1:5101"] }
            auth:
              apikey: { header: X-Api-Key }
            routes:
              - name: users
                match: { path: "/api/users/{id}", methods: [GET] }
                service: api
                auth: [apikey]
                otherMethods: next
              - name: legacy
                match: { path: "/{**rest}" }
                service: api
            """);

        exit.ShouldBe(0, output);
        output.ShouldContain("OK");
        output.ShouldContain("1 warning(s)");
        output.ShouldContain("warning: ");
        output.ShouldContain("routes[0].match");
        output.ShouldContain("route 'users': requests with other methods than GET");
        output.ShouldContain("to route 'legacy' (routes[1]), which needs no authentication");
        output.ShouldContain("otherMethods: reject");
    }

    [Fact]
    public async Task Validate_IssueConfigWithDefaults_NoWarning()
    {
        var (exit, output) = await ValidateAsync("""
            services:
              api: { urls: ["http://127.0.0.1:5101"] }
            auth:
              apikey: { header: X-Api-Key }
            routes:
              - { name: users, match: { path: "/api/users/{id}", methods: [GET] }, service: api, auth: [apikey] }
              - { name: legacy, match: { path: "/{**rest}" }, service: api }
            """);

        exit.ShouldBe(0, output);
        output.ShouldNotContain("warning");
    }

    [Fact]
    public async Task Apply_ConfigWithFallThrough_LogsOneWarningPerAppliedConfig()
    {
        using var capture = new CapturingProvider();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              api: { urls: ["{{_edge.Backend.Url}}"] }
            auth:
              apikey: { header: X-Api-Key }
            routes:
              - { name: users, match: { path: "/api/users/{id}", methods: [GET] }, service: api, auth: [apikey], otherMethods: next }
              - { name: legacy, match: { path: "/{**rest}" }, service: api }
            """, services: s => s.AddSingleton<ILoggerProvider>(capture));

        capture.Warnings.ShouldHaveSingleItem().ShouldContain("route 'users': requests with other methods than GET fall through to route 'legacy'");

        var reload = await gateway.Runtime.ReloadAsync();

        reload.Applied.ShouldBeTrue();
        capture.Warnings.Count.ShouldBe(2);
    }

    sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Warnings { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Capturing(this);

        public void Dispose()
        {
        }

        sealed class Capturing(CapturingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id == 1007 && logLevel == LogLevel.Warning) owner.Warnings.Enqueue(formatter(state, exception));
            }
        }
    }
}

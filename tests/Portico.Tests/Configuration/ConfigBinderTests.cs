using Portico.Configuration;

namespace Portico.Tests.Configuration;

public sealed class ConfigBinderTests
{
    [Fact]
    public void Load_MisspelledServiceKey_ReportsUnknownKeyWithSuggestionAtItsLine()
    {
        var yaml = """
            services:
              users:
                urls: [http://127.0.0.1:5101]
                timout: 5s
            """;

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("services.users.timout");
        error.Message.ShouldBe("unknown key 'timout'");
        error.Hint.ShouldBe("did you mean 'timeout'?");
        error.Location.ShouldBe(new ConfigLocation(TestConfig.Source, 4, 5));
    }

    [Fact]
    public void Load_MisspelledMatchKey_ReportsItUnderTheRoute()
    {
        var yaml = """
            services:
              users: { urls: [http://127.0.0.1:5101] }
            routes:
              - name: a
                match: { path: /a, metods: [GET] }
                service: users
            """;

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("routes[0].match.metods");
        error.Hint.ShouldBe("did you mean 'methods'?");
        error.Location!.Value.Line.ShouldBe(5);
    }

    [Fact]
    public void Load_UnknownTopLevelKey_IsReportedButXPrefixedKeysAreFree()
    {
        var yaml = """
            x-shared: &shared { timeout: 5s }
            servics: {}
            """;

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("servics");
        error.Hint.ShouldBe("did you mean 'services'?");
    }

    [Fact]
    public void Load_JsonWithSchemaKey_IgnoresIt()
    {
        var config = TestConfig.LoadValid("""{ "$schema": "../docs/portico.schema.json", "services": { "users": { "urls": ["http://127.0.0.1:5101"] } } }""");

        config.Services.ShouldHaveSingleItem().Name.ShouldBe("users");
    }

    [Theory]
    [InlineData("retry: { attempts: many }", "services.users.retry.attempts", "'many' is not a whole number")]
    [InlineData("retry: { attempts: 11 }", "services.users.retry.attempts", "11 is out of range")]
    [InlineData("timeout: 5", "services.users.timeout", "'5' is not a valid positive duration")]
    [InlineData("timeout: 0s", "services.users.timeout", "'0s' is not a valid positive duration")]
    [InlineData("required: maybe", "services.users.required", "'maybe' is not true or false")]
    [InlineData("loadBalancing: round-robbin", "services.users.loadBalancing", "'round-robbin' is not a valid loadBalancing")]
    [InlineData("circuitBreaker: { failureRatio: 2 }", "services.users.circuitBreaker.failureRatio", "'2' is not a number from 0.01 to 1")]
    [InlineData("retry: { onStatus: [404] }", "services.users.retry.onStatus", "'404' is not a 5xx status code")]
    [InlineData("health: [a]", "services.users.health", "expected a mapping (active health check), found a list")]
    [InlineData("health: { path: healthz }", "services.users.health.path", "'healthz' must start with '/'")]
    public void Load_WrongTypeInService_ReportsPathAndMessage(string line, string path, string message)
    {
        var yaml = $"services:\n  users:\n    urls: [http://127.0.0.1:5101]\n    {line}\n";

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe(path);
        error.Message.ShouldBe(message);
        error.Location!.Value.Line.ShouldBe(4);
    }

    [Fact]
    public void Load_DurationWithoutUnit_HintsAtAUnit()
    {
        var error = TestConfig.Errors("services:\n  users: { urls: [http://127.0.0.1:5101], timeout: 30 }\n").ShouldHaveSingleItem();

        error.Hint.ShouldBe("add a unit, e.g. '30s' or '30ms'");
    }

    [Fact]
    public void Load_LoadBalancingTypo_SuggestsTheName()
    {
        var error = TestConfig.Errors("services:\n  users: { urls: [http://127.0.0.1:5101], loadBalancing: round-robbin }\n").ShouldHaveSingleItem();

        error.Hint.ShouldBe("did you mean 'round-robin'?");
    }

    [Fact]
    public void Load_RoutesAsMapping_ReportsExpectedList()
    {
        var error = TestConfig.Errors("routes:\n  user: { service: users }\n").ShouldHaveSingleItem();

        error.Path.ShouldBe("routes");
        error.Message.ShouldBe("expected a list of routes, found a mapping");
    }

    [Theory]
    [InlineData("{ name: a, service: users }", "routes[0].match", "'match' is required")]
    [InlineData("{ name: a, match: /a, service: users }", "routes[0].match", "expected a mapping (match conditions), found a value")]
    public void Load_RouteWithoutUsableMatch_ReportsOneError(string route, string path, string message)
    {
        var yaml = "services:\n  users: { urls: [http://127.0.0.1:5101] }\nroutes:\n  - " + route + "\n";

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe(path);
        error.Message.ShouldBe(message);
    }

    [Fact]
    public void Load_ServiceWithoutUrls_ReportsRequiredKey()
    {
        var error = TestConfig.Errors("services:\n  users: { timeout: 5s }\n").ShouldHaveSingleItem();

        error.Path.ShouldBe("services.users.urls");
        error.Message.ShouldBe("'urls' is required");
    }

    [Fact]
    public void Load_NoGateways_GivesOneDefaultGatewayOnPort8080()
    {
        var config = TestConfig.LoadValid("services:\n  users: { urls: [http://127.0.0.1:5101] }\n");

        var gateway = config.Gateways.ShouldHaveSingleItem();
        gateway.Name.ShouldBe("default");
        gateway.Listen.ShouldBe(["http://127.0.0.1:8080"]);
        gateway.LivePath.ShouldBe("/healthz");
        gateway.ReadyPath.ShouldBe("/readyz");
    }

    [Fact]
    public void Load_FullService_BindsEveryKeyAndDefaults()
    {
        var yaml = """
            services:
              users:
                urls: [http://127.0.0.1:5101]
                loadBalancing: power-of-two
                health: { path: /health, interval: 5s }
                passiveHealth: { consecutiveFailures: 3, ejectFor: 1m }
                timeout: 2s
                connectTimeout: 500ms
                maxConnectionsPerServer: 64
                required: false
                retry: { attempts: 3, backoff: 10ms, onStatus: [503] }
                circuitBreaker: { failureRatio: 0.25, minimumThroughput: 10, samplingDuration: 10s, breakFor: 5s }
              plain: { url: http://127.0.0.1:5200 }
            """;

        var config = TestConfig.LoadValid(yaml);

        var users = config.FindService("users")!;
        users.LoadBalancing.ShouldBe(LoadBalancingPolicy.PowerOfTwoChoices);
        users.Health.ShouldBe(new ActiveHealthDefinition("/health", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), 1, 2));
        users.PassiveHealth.ShouldBe(new PassiveHealthDefinition(true, 3, TimeSpan.FromMinutes(1)));
        users.Timeout.ShouldBe(TimeSpan.FromSeconds(2));
        users.ConnectTimeout.ShouldBe(TimeSpan.FromMilliseconds(500));
        users.MaxConnectionsPerServer.ShouldBe(64);
        users.Required.ShouldBeFalse();
        users.Retry!.Attempts.ShouldBe(3);
        users.Retry.Backoff.ShouldBe(TimeSpan.FromMilliseconds(10));
        users.Retry.MaxBackoff.ShouldBe(TimeSpan.FromSeconds(1));
        users.Retry.OnStatus.ShouldBe([503]);
        users.Retry.BudgetRatio.ShouldBe(0.2);
        users.CircuitBreaker.ShouldBe(new CircuitBreakerDefinition(0.25, 10, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)));
        var plain = config.FindService("plain")!;
        plain.Urls.ShouldHaveSingleItem().Port.ShouldBe(5200);
        plain.Timeout.ShouldBe(TimeSpan.FromSeconds(30));
        plain.Retry.ShouldBeNull();
        plain.CircuitBreaker.ShouldBeNull();
        plain.PassiveHealth.ShouldBe(PassiveHealthDefinition.Default);
        plain.LoadBalancing.ShouldBe(LoadBalancingPolicy.RoundRobin);
    }

    [Fact]
    public void Load_SplitWithStickyCookie_BindsTargetsAndPinning()
    {
        var yaml = """
            services:
              users: { urls: [http://127.0.0.1:5101] }
              users-v2: { urls: [http://127.0.0.1:5102] }
            routes:
              - name: canary
                match: { path: "/api/{**rest}" }
                split: { users: 90, users-v2: 10 }
                sticky: { cookie: canary, cookieTtl: 1d }
            """;

        var split = TestConfig.LoadValid(yaml).Routes.ShouldHaveSingleItem().Split!;

        split.Targets.ShouldBe([new SplitTarget("users", 90), new SplitTarget("users-v2", 10)]);
        split.Sticky.ShouldBe(new StickyDefinition(StickyKind.Cookie, "canary", TimeSpan.FromDays(1)));
    }

    [Theory]
    [InlineData("split: { users: 90 }\n    sticky: { header: X-User, cookie: c }", "routes[0].sticky", "give exactly one of 'header' or 'cookie'")]
    [InlineData("service: users\n    sticky: { header: X-User }", "routes[0].sticky", "'sticky' only applies to a route with 'split'")]
    [InlineData("split: { users: -5 }", "routes[0].split.users", "weight '-5' is not a whole number ≥ 0")]
    public void Load_BadSplitOrSticky_IsReported(string lines, string path, string message)
    {
        var yaml = $"services:\n  users: {{ urls: [http://127.0.0.1:5101] }}\nroutes:\n  - name: r\n    match: {{ path: /r }}\n    {lines}\n";

        var errors = TestConfig.Errors(yaml);

        errors.ErrorAt(path).Message.ShouldBe(message);
    }

    [Fact]
    public void Load_RouteAndGatewayKeys_AreBound()
    {
        var yaml = """
            gateways:
              web:
                listen: ["http://127.0.0.1:8080"]
                timeout: 10s
                health: { live: /live, ready: /ready }
                headers: { response: { set: { X-Gateway: web } } }
              admin: { listen: "http://127.0.0.1:8081", health: false }
            services:
              users: { urls: [http://127.0.0.1:5101] }
            routes:
              - name: user
                match:
                  path: "/api/users/{id}"
                  methods: [get, POST]
                  hosts: [api.example.com]
                  headers: { Api-Version: "2", X-Any: "*" }
                  query: { expand: [a, b] }
                  accept: application/vnd.portico.v2+json
                service: users
                rewrite: /users/{id}
                headers:
                  request: { set: { X-A: "1" }, append: { X-B: "2" }, remove: [Cookie] }
                  response: { remove: [Server] }
                timeout: 2s
                order: -1
                gateways: [web]
            """;

        var config = TestConfig.LoadValid(yaml);

        var web = config.Gateways[0];
        web.Timeout.ShouldBe(TimeSpan.FromSeconds(10));
        (web.LivePath, web.ReadyPath).ShouldBe(("/live", "/ready"));
        web.ResponseHeaders.Set.ShouldBe([new("X-Gateway", "web")]);
        var admin = config.Gateways[1];
        admin.Listen.ShouldBe(["http://127.0.0.1:8081"]);
        (admin.LivePath, admin.ReadyPath).ShouldBe((null, null));
        var route = config.Routes.ShouldHaveSingleItem();
        route.Match.Methods.ShouldBe(["GET", "POST"]);
        route.Match.Hosts.ShouldBe(["api.example.com"]);
        route.Match.Headers.Select(h => (h.Name, string.Join("|", h.Values))).ShouldBe([("Api-Version", "2"), ("X-Any", "")]);
        route.Match.Query.ShouldHaveSingleItem().Values.ShouldBe(["a", "b"]);
        route.Match.Accept.ShouldBe(["application/vnd.portico.v2+json"]);
        route.RequestHeaders.Set.ShouldBe([new("X-A", "1")]);
        route.RequestHeaders.Append.ShouldBe([new("X-B", "2")]);
        route.RequestHeaders.Remove.ShouldBe(["Cookie"]);
        route.ResponseHeaders.Remove.ShouldBe(["Server"]);
        route.Timeout.ShouldBe(TimeSpan.FromSeconds(2));
        route.Order.ShouldBe(-1);
        route.Gateways.ShouldBe(["web"]);
    }

    [Fact]
    public void Load_ServerSection_BindsLimitsAndLogging()
    {
        var yaml = "server: { shutdownTimeout: 10s, limits: { maxRequestBodySize: unlimited, maxRequestHeadersSize: 64KiB }, logging: { format: text, level: debug } }\n";

        var server = TestConfig.LoadValid(yaml).Server;

        server.ShouldBe(new ServerDefinition(TimeSpan.FromSeconds(10), null, 64 * 1024, "text", "Debug"));
    }

    [Fact]
    public void Load_BufferedBodiesLimit_Bound()
    {
        var server = TestConfig.LoadValid("server: { limits: { bufferedBodies: 64MiB } }\n").Server;

        server.BufferedBodies.ShouldBe(64L * 1024 * 1024);
        TestConfig.LoadValid("server: { limits: { maxRequestHeadersSize: 64KiB } }\n").Server.BufferedBodies.ShouldBeNull();
    }

    [Theory]
    [InlineData("512KiB", "1MiB")]
    [InlineData("0", "1MiB")]
    public void Load_BufferedBodiesUnderOneMiB_RefusedWithAHint(string size, string hint)
    {
        var errors = TestConfig.Errors($"server: {{ limits: {{ bufferedBodies: {size} }} }}\n");

        errors.ShouldContain(e => e.Path == "server.limits.bufferedBodies" && e.Message.Contains(hint), string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void Load_BufferedBodiesNotASize_RefusedAtItsPath()
    {
        var errors = TestConfig.Errors("server: { limits: { bufferedBodies: lots } }\n");

        errors.ShouldContain(e => e.Path == "server.limits.bufferedBodies", string.Join(Environment.NewLine, errors));
    }
}

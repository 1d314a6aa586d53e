namespace Portico.Tests.Configuration;

public sealed class ConfigValidatorTests
{
    const string Services = """
        services:
          users: { urls: [http://127.0.0.1:5101] }
          users-v2: { urls: [http://127.0.0.1:5102] }
        """;

    static string WithRoutes(string routes) => Services + "\nroutes:\n" + routes;

    [Fact]
    public void ErrorText_ValueWithControlCharacters_StaysOnOneLine()
    {
        // A value echoed into an error (here an unknown service name) cannot add a line of its own to what
        // `portico validate` prints or the gateway logs.
        var yaml = WithRoutes("""
              - name: a
                match: { path: /a }
                service: "users\r\n2026-12-07 ERROR forged line\u001b[2J\u0000"
            """);

        var text = TestConfig.Errors(yaml).ShouldHaveSingleItem().ToString();

        text.ShouldNotContain('\r');
        text.ShouldNotContain('\n');
        text.ShouldNotContain('\u001b');
        text.ShouldNotContain('\0');
        text.ShouldContain("unknown service 'users\\u000d\\u000a2026-12-07 ERROR forged line\\u001b[2J\\u0000'");
    }

    [Fact]
    public void Load_RouteToUnknownService_SuggestsTheClosestName()
    {
        var yaml = WithRoutes("""
              - { name: a, match: { path: /a }, service: users }
              - { name: b, match: { path: /b }, service: users }
              - { name: c, match: { path: /c }, service: users }
              - name: d
                match: { path: /d }
                service: user
            """);

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        var line = yaml.Split('\n').ToList().FindIndex(l => l.Trim() == "service: user") + 1;
        error.ToString().ShouldBe($"{TestConfig.Source}:{line}:5 routes[3].service: unknown service 'user' — did you mean 'users'?");
    }

    [Fact]
    public void Load_DuplicateRouteNames_PointsAtTheSecond()
    {
        var yaml = WithRoutes("""
              - { name: a, match: { path: /a }, service: users }
              - { name: a, match: { path: /b }, service: users }
            """);

        var error = TestConfig.Errors(yaml).ErrorAt("routes[1].name");

        error.Message.ShouldBe("duplicate route name 'a' (also routes[0])");
        error.Location!.Value.Line.ShouldBe(TestConfig.LineOf(yaml, "path: /b"));
    }

    [Fact]
    public void Load_SamePathShapeMethodsAndOrder_IsAmbiguous()
    {
        var yaml = WithRoutes("""
              - { name: a, match: { path: "/api/users/{id}", methods: [GET] }, service: users }
              - { name: b, match: { path: "/API/users/{userId}", methods: [get] }, service: users-v2 }
            """);

        var error = TestConfig.Errors(yaml).ErrorAt("routes[1].match");

        error.Message.ShouldBe("route 'b' matches the same requests as route 'a' (routes[0])");
        error.Hint.ShouldNotBeNull();
    }

    [Theory]
    [InlineData("headers: { Api-Version: \"2\" }", "")]
    [InlineData("methods: [GET]", "")]
    [InlineData("query: { v: \"2\" }", "")]
    [InlineData("accept: [application/vnd.v2+json]", "")]
    [InlineData("hosts: [v2.example.com]", "")]
    [InlineData("", ", order: 1")]
    [InlineData("", ", gateways: [mobile]")]
    public void Load_SamePathWithADistinguishingCondition_IsNotAmbiguous(string condition, string routeExtra)
    {
        var yaml = """
            gateways:
              web: { listen: ["http://127.0.0.1:8080"] }
              mobile: { listen: ["http://127.0.0.1:8081"] }

            """ + WithRoutes($$"""
              - { name: a, match: { path: "/api/users/{id}" }, service: users, gateways: [web] }
              - { name: b, match: { path: "/api/users/{userId}", {{condition}} }, service: users-v2{{routeExtra}} }
            """);

        var result = TestConfig.Load(yaml);

        result.Errors.ShouldBeEmpty();
    }

    [Fact]
    public void Load_SameHeaderConditionOnBothRoutes_IsAmbiguous()
    {
        var yaml = WithRoutes("""
              - { name: a, match: { path: /x, headers: { Api-Version: "2" } }, service: users }
              - { name: b, match: { path: /x, headers: { api-version: "2" } }, service: users-v2 }
            """);

        TestConfig.Errors(yaml).ErrorAt("routes[1].match").Message.ShouldContain("matches the same requests");
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://127.0.0.1:5101/?x=1")]
    [InlineData("127.0.0.1:5101")]
    [InlineData("/relative")]
    public void Load_BadServiceUrl_IsReported(string url)
    {
        var yaml = $"services:\n  users:\n    urls: [\"http://127.0.0.1:5101\", \"{url}\"]\n";

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("services.users.urls[1]");
        error.Message.ShouldBe($"'{url}' is not a valid service URL");
        error.Location!.Value.Line.ShouldBe(3);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "is not a listen address")]
    [InlineData("http://127.0.0.1", "is not a listen address")]
    [InlineData("http://*:8080", "is not a listen address")]
    [InlineData("http://127.0.0.1:8080/api", "is not a listen address")]
    [InlineData("http://gateway.example.com:8080", "names a host, not an address")]
    [InlineData("https://127.0.0.1:8443", "is https but the gateway has no certificate")]
    public void Load_BadListenAddress_IsReported(string listen, string message)
    {
        var yaml = $"gateways:\n  web:\n    listen: [\"{listen}\"]\n";

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("gateways.web.listen[0]");
        error.Message.ShouldContain(message);
        error.Location!.Value.Line.ShouldBe(3);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://127.0.0.1:0")]
    public void Load_GoodListenAddress_IsAccepted(string listen)
    {
        TestConfig.LoadValid($"gateways:\n  web: {{ listen: [\"{listen}\"] }}\n");
    }

    [Fact]
    public void Load_HttpsWithCertificate_IsAccepted()
    {
        TestConfig.LoadValid("gateways:\n  web: { listen: [\"https://127.0.0.1:8443\"], tls: { certificate: server.pfx, password: secret } }\n");
    }

    [Fact]
    public void Load_SamePortOnTwoGateways_IsReported()
    {
        var yaml = """
            gateways:
              web: { listen: ["http://127.0.0.1:8080"] }
              mobile: { listen: ["http://0.0.0.0:8080"] }
            """;

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("gateways.mobile.listen[0]");
        error.Message.ShouldBe("'http://0.0.0.0:8080' is already used by gateway 'web'");
    }

    [Fact]
    public void Load_OneGatewayOnIpv4AndIpv6WithOnePort_IsAccepted()
    {
        TestConfig.LoadValid("gateways:\n  web: { listen: [\"http://127.0.0.1:8080\", \"http://[::1]:8080\"] }\n");
    }

    [Fact]
    public void Load_RewriteUsingAValueThePathDoesNotCapture_IsReported()
    {
        var yaml = WithRoutes("""
              - name: a
                match: { path: "/api/users/{id}" }
                service: users
                rewrite: /users/{userId}
            """);

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("routes[0].rewrite");
        error.Message.ShouldBe("'{userId}' is not captured by the path '/api/users/{id}'");
        error.Location!.Value.Line.ShouldBe(TestConfig.LineOf(yaml, "rewrite:"));
    }

    [Fact]
    public void Load_RewriteUsingCatchAllAndQueryValues_IsAccepted()
    {
        TestConfig.LoadValid(WithRoutes("""
              - { name: a, match: { path: "/api/{id}/{**rest}" }, service: users, rewrite: "/v2/{**rest}?id={id}" }
            """));
    }

    [Fact]
    public void Load_UnknownGatewayInRoute_SuggestsTheName()
    {
        var yaml = "gateways:\n  mobile: { listen: [\"http://127.0.0.1:8081\"] }\n" + WithRoutes("""
              - { name: a, match: { path: /a }, service: users, gateways: [mobil] }
            """);

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("routes[0].gateways");
        error.Message.ShouldBe("unknown gateway 'mobil'");
        error.Hint.ShouldBe("did you mean 'mobile'?");
    }

    [Fact]
    public void Load_RouteWithEmptyGatewayList_IsReported()
    {
        var yaml = WithRoutes("""
              - { name: a, match: { path: /a }, service: users, gateways: [] }
            """);

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("routes[0].gateways");
        error.Message.ShouldBe("the route is on no gateway");
    }

    [Fact]
    public void Load_SplitToUnknownService_IsReportedAtTheTarget()
    {
        var yaml = WithRoutes("""
              - { name: a, match: { path: /a }, split: { users: 90, user-v2: 10 } }
            """);

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("routes[0].split.user-v2");
        error.Hint.ShouldBe("did you mean 'users-v2'?");
    }

    [Fact]
    public void Load_SplitWithAllZeroWeights_IsReported()
    {
        var yaml = WithRoutes("""
              - { name: a, match: { path: /a }, split: { users: 0, users-v2: 0 } }
            """);

        TestConfig.Errors(yaml).ShouldHaveSingleItem().Message.ShouldBe("the split's weights add up to 0");
    }

    [Theory]
    [InlineData("{ name: a, match: { path: /a } }", "routes[0]", "the route has no target")]
    [InlineData("{ name: a, match: { path: /a }, service: users, split: { users: 1 } }", "routes[0]", "the route has both 'service' and 'split'")]
    [InlineData("{ name: a, match: { path: a }, service: users }", "routes[0].match.path", "'a' is not a valid path template: a path template must start with '/'")]
    [InlineData("{ name: a, match: { path: /a, methods: [\"GE T\"] }, service: users }", "routes[0].match.methods", "'GE T' is not an HTTP method")]
    [InlineData("{ name: a, match: { path: /a, accept: [json] }, service: users }", "routes[0].match.accept", "'json' is not a media type")]
    [InlineData("{ name: a, match: { path: /a }, service: users, headers: { request: { set: { \"Bad Header\": x } } } }", "routes[0].headers.request", "'Bad Header' is not a valid header name")]
    public void Load_RouteMistake_IsReported(string route, string path, string message)
    {
        var yaml = WithRoutes("  - " + route + "\n");

        TestConfig.Errors(yaml).ErrorAt(path).Message.ShouldBe(message);
    }

    [Fact]
    public void Load_ManyMistakes_ReportsEveryOneInFileOrder()
    {
        var yaml = """
            gateways:
              web: { listen: ["http://127.0.0.1:8080"], timeout: fast }
              mobile: { listen: ["http://127.0.0.1:8080"] }
            services:
              users: { urls: [http://127.0.0.1:5101], retries: 3 }
              broken: { urls: ["not-a-url"] }
            routes:
              - { name: a, match: { path: "/api/users/{id}" }, service: user }
              - { name: a, match: { path: "/b/{x}" }, service: users, rewrite: "/b/{y}" }
              - { name: c, match: { path: /c }, split: { users: 0 }, gateways: [mobil] }
            """;

        var errors = TestConfig.Errors(yaml);

        errors.Select(e => e.Path).ShouldBe([
            "gateways.web.timeout",
            "gateways.mobile.listen[0]",
            "services.users.retries",
            "services.broken.urls[0]",
            "routes[0].service",
            "routes[1].name",
            "routes[1].rewrite",
            "routes[2].split",
            "routes[2].gateways",
        ], ignoreOrder: true);
        errors.ShouldAllBe(e => e.Location != null && e.Location.Value.Line > 0);
        errors.Select(e => e.Location!.Value.Line).ShouldBeInOrder();
    }
}

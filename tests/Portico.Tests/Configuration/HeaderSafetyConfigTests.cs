namespace Portico.Tests.Configuration;

public sealed class HeaderSafetyConfigTests
{
    const string Services = """
        services:
          users: { urls: [http://127.0.0.1:5101] }
        """;

    [Theory]
    [InlineData("set")]
    [InlineData("append")]
    public void Load_TransformValueWithLineBreak_RefusedWithLocationAndHint(string kind)
    {
        var yaml = Services + $$"""

            routes:
              - name: a
                match: { path: /a }
                service: users
                headers: { request: { {{kind}}: { X-Tenant: "acme\r\nX-User-Id: root" } } }
            """;

        var error = TestConfig.Errors(yaml).ErrorAt($"routes[0].headers.request.{kind}.X-Tenant");

        error.Message.ShouldContain("a line break");
        error.Hint.ShouldNotBeNull();
        error.Message.ShouldNotContain("root");
    }

    [Fact]
    public void Load_GatewayResponseValueWithNul_Refused()
    {
        var yaml = """
            gateways:
              default: { listen: ["http://127.0.0.1:0"], headers: { response: { set: { X-Served-By: "edge\u0000" } } } }
            """ + "\n" + Services;

        TestConfig.Errors(yaml).ErrorAt("gateways.default.headers.response.set.X-Served-By").Message.ShouldContain("a NUL character");
    }

    [Fact]
    public void Load_KeepOnResponse_Refused()
    {
        var yaml = Services + """

            routes:
              - { name: a, match: { path: /a }, service: users, headers: { response: { keep: [X_Legacy] } } }
            """;

        TestConfig.Errors(yaml).ErrorAt("routes[0].headers.response.keep").Hint.ShouldNotBeNull();
    }

    [Fact]
    public void Load_KeepOnRequest_Bound()
    {
        var config = TestConfig.LoadValid(Services + """

            routes:
              - { name: a, match: { path: /a }, service: users, headers: { request: { keep: [X_Legacy, X-HTTP-Method-Override] } } }
            """);

        config.Routes[0].RequestHeaders.Keep.ShouldBe(["X_Legacy", "X-HTTP-Method-Override"]);
    }

    [Fact]
    public void Load_IdentityGroupsHeaderNotAToken_Refused()
    {
        var yaml = Services + """

            auth:
              identityHeaders: { groups: "X Groups" }
            """;

        TestConfig.Errors(yaml).ErrorAt("auth.identityHeaders.groups").Message.ShouldContain("not a valid header name");
    }

    [Fact]
    public void Load_AggregatePartHeaderLiteralWithLineBreak_Refused()
    {
        var yaml = Services + """

            routes:
              - name: a
                match: { path: /a }
                aggregate:
                  parts:
                    one: { service: users, path: /one, headers: { X-Tenant: "acme\r\nX-User-Id: {query.who}" } }
            """;

        TestConfig.Errors(yaml).ErrorAt("routes[0].aggregate.parts.one.headers.X-Tenant").Message.ShouldContain("a line break");
    }
}

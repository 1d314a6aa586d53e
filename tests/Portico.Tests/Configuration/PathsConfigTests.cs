using Portico.Configuration;

namespace Portico.Tests.Configuration;

public sealed class PathsConfigTests
{
    const string Services = """
        services:
          api: { urls: ["http://127.0.0.1:5101"] }

        """;

    [Fact]
    public void Load_NoPathsSection_SecureDefaults()
    {
        var config = TestConfig.LoadValid(Services + "gateways:\n  default: { listen: [\"http://127.0.0.1:8080\"] }\n");

        config.Gateways[0].Paths.ShouldBeNull();
        PathsDefinition.Default.ShouldBe(new PathsDefinition(true, EscapedSlashAction.Reject, BackslashAction.Reject, PathFormAction.Reject, PathFormAction.Reject));
    }

    [Fact]
    public void Load_EveryPathsKey_BoundPerGateway()
    {
        var config = TestConfig.LoadValid(Services + """
            gateways:
              public: { listen: ["http://127.0.0.1:8080"] }
              legacy:
                listen: ["http://127.0.0.1:8081"]
                paths: { mergeSlashes: false, escapedSlashes: keep, backslashes: decode, pathParameters: keep, trailingDots: keep }
            """);

        config.Gateways[0].Paths.ShouldBeNull();
        config.Gateways[1].Paths.ShouldBe(new PathsDefinition(false, EscapedSlashAction.Keep, BackslashAction.Decode, PathFormAction.Keep, PathFormAction.Keep));
    }

    [Theory]
    [InlineData("escapedSlashes: allow", "gateways.default.paths.escapedSlashes", "'allow' is not a valid escapedSlashes")]
    [InlineData("backslashes: keep", "gateways.default.paths.backslashes", "'keep' is not a valid backslashes")]
    [InlineData("pathParameters: strip", "gateways.default.paths.pathParameters", "'strip' is not a valid pathParameters")]
    [InlineData("mergeSlashes: maybe", "gateways.default.paths.mergeSlashes", "'maybe' is not true or false")]
    [InlineData("trailingDot: keep", "gateways.default.paths.trailingDot", "unknown key 'trailingDot'")]
    public void Load_BadPathsValue_ErrorAtTheKeyWithHint(string setting, string path, string message)
    {
        var yaml = Services + $"gateways:\n  default:\n    listen: [\"http://127.0.0.1:8080\"]\n    paths: {{ {setting} }}\n";

        var error = TestConfig.Errors(yaml).ErrorAt(path);

        error.Message.ShouldContain(message);
        error.Location.ShouldNotBeNull().Line.ShouldBe(TestConfig.LineOf(yaml, "paths:"));
        if (!setting.StartsWith("mergeSlashes", StringComparison.Ordinal)) error.Hint.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public void Load_OtherMethodsValues_BoundAndCheckedWithHint()
    {
        var config = TestConfig.LoadValid(Services + """
            routes:
              - { name: a, match: { path: /a, methods: [GET] }, service: api, otherMethods: reject }
              - { name: b, match: { path: /b, methods: [GET] }, service: api, otherMethods: next }
              - { name: c, match: { path: /c, methods: [GET] }, service: api }
            """);
        config.Routes.Select(r => r.OtherMethods).ShouldBe([OtherMethodsAction.Reject, OtherMethodsAction.Next, null]);

        var bad = TestConfig.Errors(Services + """
            routes:
              - { name: a, match: { path: /a, methods: [GET] }, service: api, otherMethods: refuse }
              - { name: b, match: { path: /b }, service: api, otherMethods: reject }
            """);
        bad.ErrorAt("routes[0].otherMethods").Hint!.ShouldContain("reject");
        bad.ErrorAt("routes[1].otherMethods").Message.ShouldContain("only applies to a route with 'methods'");
    }
}

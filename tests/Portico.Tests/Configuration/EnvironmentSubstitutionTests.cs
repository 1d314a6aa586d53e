using Portico.Configuration;

namespace Portico.Tests.Configuration;

public sealed class EnvironmentSubstitutionTests
{
    static (ConfigMapping Root, List<ConfigError> Errors) Substitute(string yaml, Dictionary<string, string> env)
    {
        var errors = new List<ConfigError>();
        var root = (ConfigMapping)ConfigDocumentParser.Parse(yaml, TestConfig.Source, errors)!;
        errors.ShouldBeEmpty();
        EnvironmentSubstitution.Apply(root, name => env.GetValueOrDefault(name), errors);
        return (root, errors);
    }

    static string? Value(ConfigMapping root, string key) => ((ConfigScalar)root.Get(key)!).Value;

    [Fact]
    public void Apply_SetVariable_IsReplacedInsideTheValue()
    {
        var (root, errors) = Substitute("url: http://${HOST}:5101/x\n", new() { ["HOST"] = "10.0.0.7" });

        errors.ShouldBeEmpty();
        Value(root, "url").ShouldBe("http://10.0.0.7:5101/x");
    }

    [Fact]
    public void Apply_DefaultWhenUnsetOrEmpty_UsesTheDefault()
    {
        var (root, errors) = Substitute("a: ${A:-5s}\nb: ${B:-fallback}\nc: ${C:-unused}\n", new() { ["B"] = "", ["C"] = "set" });

        errors.ShouldBeEmpty();
        Value(root, "a").ShouldBe("5s");
        Value(root, "b").ShouldBe("fallback");
        Value(root, "c").ShouldBe("set");
    }

    [Fact]
    public void Apply_MissingVariable_ReportsLocationAndHint()
    {
        var (_, errors) = Substitute("services:\n  users:\n    urls: [\"http://${USERS_HOST}:5101\"]\n", []);

        var error = errors.ShouldHaveSingleItem();
        error.Path.ShouldBe("services.users.urls[0]");
        error.Message.ShouldBe("environment variable 'USERS_HOST' is not set");
        error.Location.ShouldBe(new ConfigLocation(TestConfig.Source, 3, 12));
        error.Hint.ShouldBe("set USERS_HOST, or give a default: ${USERS_HOST:-value}");
    }

    [Fact]
    public void Load_MissingVariable_IsReportedOnceNotAlsoAsABadValue()
    {
        var yaml = "services:\n  users: { urls: [\"${USERS_URL}\"], timeout: \"${USERS_TIMEOUT}\" }\n";

        var errors = TestConfig.Errors(yaml);

        errors.Select(e => e.Message).ShouldBe(["environment variable 'USERS_URL' is not set", "environment variable 'USERS_TIMEOUT' is not set"]);
    }

    [Fact]
    public void Apply_DoubleDollar_KeepsALiteralReference()
    {
        var (root, errors) = Substitute("a: \"cost: $${PRICE} and $5\"\n", new() { ["PRICE"] = "10" });

        errors.ShouldBeEmpty();
        Value(root, "a").ShouldBe("cost: ${PRICE} and $5");
    }

    [Theory]
    [InlineData("a: ${OPEN\n", "unterminated")]
    [InlineData("a: ${BAD-NAME}\n", "not a valid environment variable reference")]
    public void Apply_MalformedReference_IsReported(string yaml, string message)
    {
        var (_, errors) = Substitute(yaml, []);

        errors.ShouldHaveSingleItem().Message.ShouldContain(message);
    }

    [Fact]
    public void Load_MissingVariableInsideAnXAnchor_IsReportedOnceWhereItIsUsed()
    {
        var yaml = """
            x-defaults: &defaults { timeout: "${USERS_TIMEOUT}" }
            services:
              users:
                <<: *defaults
                urls: [http://127.0.0.1:5101]
            """;

        var error = TestConfig.Errors(yaml).ShouldHaveSingleItem();

        error.Path.ShouldBe("services.users.timeout");
        error.Location!.Value.Line.ShouldBe(1);
    }

    [Fact]
    public void Apply_ValueWithYamlSyntax_StaysOneScalar()
    {
        var (root, errors) = Substitute("timeout: ${T}\nname: x\n", new() { ["T"] = "5s\nretry: { attempts: 9 }" });

        errors.ShouldBeEmpty();
        root.Entries.Select(e => e.Key.Value).ShouldBe(["timeout", "name"]);
        Value(root, "timeout").ShouldBe("5s\nretry: { attempts: 9 }");
    }

    [Fact]
    public void Load_ValueWithYamlSyntax_CannotAddAService()
    {
        var yaml = """
            services:
              users: { urls: ["${USERS_URL}"] }
            routes:
              - { name: u, match: { path: /u }, service: users }
            """;

        var errors = TestConfig.Errors(yaml, new Dictionary<string, string> { ["USERS_URL"] = "http://127.0.0.1:5101\"] }\n  evil: { urls: [\"http://10.6.6.6" });

        errors.ShouldHaveSingleItem().Path.ShouldBe("services.users.urls[0]");
    }
}

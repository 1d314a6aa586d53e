using System.Text.Json;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Configuration;

public sealed class ConfigDocumentParserTests
{
    static (ConfigNode? Root, List<ConfigError> Errors) Parse(string text)
    {
        var errors = new List<ConfigError>();
        var root = ConfigDocumentParser.Parse(text, TestConfig.Source, errors);
        return (root, errors);
    }

    [Fact]
    public void Parse_BrokenYaml_ReportsLineAndColumn()
    {
        var text = "services:\n  users:\n    urls: [http://127.0.0.1:5101\n    timeout: 5s\n";

        var (_, errors) = Parse(text);

        var error = errors.ShouldHaveSingleItem();
        error.Message.ShouldStartWith("not valid YAML/JSON");
        error.Location.ShouldNotBeNull();
        error.Location.Value.Source.ShouldBe(TestConfig.Source);
        error.Location.Value.Line.ShouldBeGreaterThanOrEqualTo(3);
        error.Location.Value.Column.ShouldBeGreaterThan(0);
        error.Hint.ShouldNotBeNull();
    }

    [Fact]
    public void Parse_TagThatIsNotAUri_ReportsAnErrorInsteadOfThrowing()
    {
        // Found by the config fuzz harness: YamlDotNet threw ArgumentException ("Global tags must be valid URIs").
        var text = "services:\n  orders:\n    urls: !!!!![http://127.0.0.1:5501]\n";

        var (root, errors) = Parse(text);

        root.ShouldBeNull();
        var error = errors.ShouldHaveSingleItem();
        error.Message.ShouldStartWith("not valid YAML/JSON");
        error.Message.ShouldContain("tags must be valid URIs");
        error.Hint.ShouldNotBeNull();
    }

    [Fact]
    public void Load_TagThatIsNotAUri_IsRefusedWithErrors()
    {
        var result = ConfigLoader.LoadText("services:\n  orders:\n    urls: !!!!![http://127.0.0.1:5501]\n", TestConfig.Source, static _ => null, []);

        result.Success.ShouldBeFalse();
        result.Errors.ShouldHaveSingleItem().Message.ShouldStartWith("not valid YAML/JSON");
    }

    [Fact]
    public void Parse_UnquotedTemplateInFlowMapping_HintsToQuoteIt()
    {
        var text = """
            routes:
              - name: user
                match: { path: /api/users/{id} }
                service: users
            """;

        var (_, errors) = Parse(text);

        var error = errors.ShouldHaveSingleItem();
        error.Location!.Value.Line.ShouldBe(3);
        error.Hint.ShouldBe("inside { … } a path template must be quoted: path: \"/api/users/{id}\"");
    }

    [Fact]
    public void Parse_DuplicateKey_ReportsTheSecondKeyWithItsLocation()
    {
        var text = """
            services:
              users:
                urls: [http://127.0.0.1:5101]
                timeout: 5s
                timeout: 10s
            """;

        var (root, errors) = Parse(text);

        var error = errors.ShouldHaveSingleItem();
        error.Path.ShouldBe("services.users.timeout");
        error.Message.ShouldBe("duplicate key 'timeout'");
        error.Location.ShouldBe(new ConfigLocation(TestConfig.Source, 5, 5));
        error.Hint.ShouldNotBeNull();
        var users = (ConfigMapping)((ConfigMapping)((ConfigMapping)root!).Get("services")!).Get("users")!;
        ((ConfigScalar)users.Get("timeout")!).Value.ShouldBe("5s");
    }

    [Fact]
    public void Parse_AliasAndMergeKey_CopyTheAnchoredValuesUnderTheirOwnPaths()
    {
        var text = """
            x-defaults: &defaults
              timeout: 5s
              retry: &retry { attempts: 3 }
            services:
              users:
                <<: *defaults
                urls: [http://127.0.0.1:5101]
                timeout: 9s
              credits:
                urls: [http://127.0.0.1:5201]
                retry: *retry
            """;

        var (root, errors) = Parse(text);

        errors.ShouldBeEmpty();
        var services = (ConfigMapping)((ConfigMapping)root!).Get("services")!;
        var users = (ConfigMapping)services.Get("users")!;
        ((ConfigScalar)users.Get("timeout")!).Value.ShouldBe("9s");
        var usersRetry = (ConfigMapping)users.Get("retry")!;
        usersRetry.Path.ShouldBe("services.users.retry");
        usersRetry.Get("attempts")!.Path.ShouldBe("services.users.retry.attempts");
        var creditsRetry = (ConfigMapping)((ConfigMapping)services.Get("credits")!).Get("retry")!;
        creditsRetry.Path.ShouldBe("services.credits.retry");
        creditsRetry.ShouldNotBeSameAs(usersRetry);
    }

    [Fact]
    public void Load_AliasedValueWithLiteralDollar_IsSubstitutedOnlyOnce()
    {
        var text = """
            services:
              a: { urls: &u ["http://127.0.0.1:5101/$${X}"] }
              b: { urls: *u }
            routes:
              - { name: a, match: { path: /a }, service: a }
              - { name: b, match: { path: /b }, service: b }
            """;

        var config = TestConfig.LoadValid(text, new Dictionary<string, string> { ["X"] = "injected" });

        config.FindService("b")!.Urls.ShouldHaveSingleItem().OriginalString.ShouldBe("http://127.0.0.1:5101/${X}");
        config.FindService("a")!.Urls.ShouldHaveSingleItem().OriginalString.ShouldBe("http://127.0.0.1:5101/${X}");
    }

    [Fact]
    public void Parse_UnknownAlias_ReportsIt()
    {
        var (_, errors) = Parse("services:\n  users: *nothing\n");

        errors.ShouldHaveSingleItem().Message.ShouldBe("unknown alias '*nothing'");
    }

    [Fact]
    public void Parse_TwoDocuments_ReportsTheSecond()
    {
        var (_, errors) = Parse("services: {}\n---\nroutes: []\n");

        errors.ShouldHaveSingleItem().Message.ShouldBe("the file holds more than one YAML document");
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void Parse_EmptyDocument_ReturnsNullWithoutErrors(string text)
    {
        var (root, errors) = Parse(text);

        root.ShouldBeNull();
        errors.ShouldBeEmpty();
    }

    [Fact]
    public void Load_EmptyFile_GivesTheDefaultGatewayAndNothingElse()
    {
        var config = TestConfig.LoadValid("");

        config.Gateways.ShouldHaveSingleItem().Name.ShouldBe(GatewayDefinition.DefaultName);
        config.Services.ShouldBeEmpty();
        config.Routes.ShouldBeEmpty();
    }

    [Fact]
    public void Parse_QuotedAndPlainScalars_AreTold()
    {
        var (root, _) = Parse("a: 5\nb: \"5\"\nc: ~\nd: 'null'\n");

        var map = (ConfigMapping)root!;
        ((ConfigScalar)map.Get("a")!).Quoted.ShouldBeFalse();
        ((ConfigScalar)map.Get("b")!).Quoted.ShouldBeTrue();
        ((ConfigScalar)map.Get("c")!).Value.ShouldBeNull();
        ((ConfigScalar)map.Get("d")!).Value.ShouldBe("null");
    }

    [Fact]
    public void Load_JsonInput_BindsToTheSameConfigAsEquivalentYaml()
    {
        var yaml = """
            gateways:
              web: { listen: ["http://127.0.0.1:8080"], timeout: 10s }
            services:
              users:
                urls: [http://127.0.0.1:5101, http://127.0.0.1:5102]
                loadBalancing: least-requests
                retry: { attempts: 2, onStatus: [502, 503], budget: 0.2 }
            routes:
              - name: user
                match: { path: "/api/users/{id}", methods: [GET], headers: { Api-Version: "2" } }
                service: users
                rewrite: /users/{id}
            """;
        var json = """
            {
            	"gateways": { "web": { "listen": ["http://127.0.0.1:8080"], "timeout": "10s" } },
            	"services": {
            		"users": {
            			"urls": ["http://127.0.0.1:5101", "http://127.0.0.1:5102"],
            			"loadBalancing": "least-requests",
            			"retry": { "attempts": 2, "onStatus": [502, 503], "budget": 0.2 }
            		}
            	},
            	"routes": [
            		{
            			"name": "user",
            			"match": { "path": "/api/users/{id}", "methods": ["GET"], "headers": { "Api-Version": "2" } },
            			"service": "users",
            			"rewrite": "/users/{id}"
            		}
            	]
            }
            """;

        var fromYaml = TestConfig.LoadValid(yaml);
        var fromJson = TestConfig.LoadValid(json);

        JsonSerializer.Serialize(fromJson).ShouldBe(JsonSerializer.Serialize(fromYaml));
        fromJson.Routes.ShouldHaveSingleItem().Match.Headers.ShouldHaveSingleItem().Values.ShouldBe(["2"]);
    }

    [Fact]
    public void Load_BrokenJson_ReportsLineAndColumn()
    {
        var json = "{\n  \"services\": {\n    \"users\": { \"urls\": [\"http://127.0.0.1:5101\"] \n  }\n";

        var errors = TestConfig.Errors(json);

        errors.ShouldHaveSingleItem().Location!.Value.Line.ShouldBeGreaterThan(0);
    }
}

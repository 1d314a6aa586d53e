namespace Portico.Tests.Configuration;

public sealed class EnvironmentOverridesTests
{
    const string Yaml = """
        services:
          users: { urls: [http://127.0.0.1:5101], timeout: 5s }
          users-v2: { urls: [http://127.0.0.1:5103] }
        routes:
          - name: user
            match: { path: "/api/users/{id}" }
            service: users
        """;

    static KeyValuePair<string, string>[] Vars(params (string Name, string Value)[] vars) => [.. vars.Select(v => new KeyValuePair<string, string>(v.Name, v.Value))];

    [Fact]
    public void Load_OverrideOfAServiceTimeout_ReplacesTheFileValue()
    {
        var config = TestConfig.LoadValid(Yaml, overrides: Vars(("PORTICO__services__users__timeout", "10s")));

        config.FindService("users")!.Timeout.ShouldBe(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Load_OverrideWithDifferentCase_MatchesExistingKeys()
    {
        var config = TestConfig.LoadValid(Yaml, overrides: Vars(("PORTICO__SERVICES__Users__TIMEOUT", "7s")));

        config.FindService("users")!.Timeout.ShouldBe(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void Load_OverrideWithListIndex_SetsThatItem()
    {
        var config = TestConfig.LoadValid(Yaml, overrides: Vars(("PORTICO__routes__0__service", "users-v2"), ("PORTICO__services__users__urls__1", "http://127.0.0.1:5102")));

        config.Routes.ShouldHaveSingleItem().Service.ShouldBe("users-v2");
        config.FindService("users")!.Urls.Select(u => u.Port).ShouldBe([5101, 5102]);
    }

    [Fact]
    public void Load_OverrideBelowMissingMappings_CreatesThem()
    {
        var config = TestConfig.LoadValid(Yaml, overrides: Vars(("PORTICO__services__users__retry__attempts", "4"), ("PORTICO__gateways__web__listen__0", "http://127.0.0.1:9090")));

        config.FindService("users")!.Retry!.Attempts.ShouldBe(4);
        var web = config.Gateways.ShouldHaveSingleItem();
        web.Name.ShouldBe("web");
        web.Listen.ShouldBe(["http://127.0.0.1:9090"]);
    }

    [Fact]
    public void Load_OverrideWithBadListIndex_ReportsTheVariable()
    {
        var errors = TestConfig.Errors(Yaml, overrides: Vars(("PORTICO__routes__first__service", "users-v2")));

        var error = errors.ShouldHaveSingleItem();
        error.Path.ShouldBe("routes");
        error.Message.ShouldBe("'first' is not an index of this list (0..1)");
        error.Location!.Value.Source.ShouldBe("environment variable PORTICO__routes__first__service");
        error.Hint.ShouldNotBeNull();
    }

    [Fact]
    public void Load_OverrideThroughAScalar_ReportsIt()
    {
        var errors = TestConfig.Errors(Yaml, overrides: Vars(("PORTICO__services__users__timeout__x", "1")));

        errors.ShouldHaveSingleItem().Message.ShouldBe("cannot set 'x' inside a value");
    }

    [Fact]
    public void Load_OverrideWithBadValue_ReportsItAtTheVariable()
    {
        var errors = TestConfig.Errors(Yaml, overrides: Vars(("PORTICO__services__users__timeout", "soon")));

        var error = errors.ShouldHaveSingleItem();
        error.Path.ShouldBe("services.users.timeout");
        error.Location!.Value.Source.ShouldBe("environment variable PORTICO__services__users__timeout");
    }
}

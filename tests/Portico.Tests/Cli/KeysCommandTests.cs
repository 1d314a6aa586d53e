using System.Text.RegularExpressions;
using Portico.Auth;
using Portico.Tests.Configuration;

namespace Portico.Tests.Cli;

public sealed partial class KeysCommandTests
{
    static Task<(int ExitCode, string Output)> InvokeAsync(params string[] args) => CliRunner.InvokeAsync(args);

    [GeneratedRegex(@"^key:  (?<key>\S+)\r?$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"^hash: (?<hash>\S+)\r?$", RegexOptions.Multiline)]
    private static partial Regex HashLine();

    [Fact]
    public async Task KeysCreate_PrintsAPrefixedKeyAndItsHash_ThatAConfigAccepts()
    {
        var (exit, output) = await InvokeAsync("keys", "create", "--consumer", "mobile-app");

        exit.ShouldBe(0);
        var key = KeyLine().Match(output).Groups["key"].Value;
        var hash = HashLine().Match(output).Groups["hash"].Value;
        key.ShouldStartWith("pk_");
        hash.ShouldBe(ApiKeys.Hash(key));
        var snippet = output.Split('\n').Single(l => l.TrimStart().StartsWith("auth:", StringComparison.Ordinal));
        snippet.ShouldContain("mobile-app");
        var config = TestConfig.LoadValid($"""
            services: {"{"} users: {"{"} urls: [http://127.0.0.1:5101] {"}"} {"}"}
            {snippet.Trim().Replace("auth: {", "auth: { apikey: {}, ", StringComparison.Ordinal)}
            """);
        config.Auth!.Consumers.Single().Keys.Single().Hash.ShouldBe(hash);
    }

    [Fact]
    public async Task KeysCreate_TwoRuns_GiveDifferentKeys()
    {
        var (_, first) = await InvokeAsync("keys", "create");
        var (_, second) = await InvokeAsync("keys", "create");

        KeyLine().Match(first).Groups["key"].Value.ShouldNotBe(KeyLine().Match(second).Groups["key"].Value);
    }

    [Fact]
    public async Task KeysHash_Key_PrintsSha256OfTheKeyText()
    {
        var (exit, output) = await InvokeAsync("keys", "hash", "pk_test");

        exit.ShouldBe(0);
        // sha256("pk_test"), computed independently.
        output.Trim().ShouldBe("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("pk_test"u8)));
    }
}

public sealed partial class RuntimeConsumerCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-cli-consumers-").FullName;
    readonly string _config;

    public RuntimeConsumerCommandTests()
    {
        _config = Path.Combine(_dir, "portico.yaml");
        File.WriteAllText(_config, $$"""
            services: { users: { urls: [http://127.0.0.1:5101] } }
            auth:
              apikey: {}
              consumers:
                declared: { keys: ["{{ApiKeys.Hash("pk_declared")}}"] }
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static Task<(int ExitCode, string Output)> InvokeAsync(params string[] args) => CliRunner.InvokeAsync(args);

    [GeneratedRegex(@"^key:  (?<key>\S+)\r?$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"^id:   (?<id>\S+)\r?$", RegexOptions.Multiline)]
    private static partial Regex IdLine();

    [Fact]
    public async Task ConsumersAddKeysCreateListRevoke_StoreOnlyHashesInTheConsumersFile()
    {
        (await InvokeAsync("consumers", "add", "mobile", "--scope", "users:read", "-c", _config)).ExitCode.ShouldBe(0);
        var (createExit, created) = await InvokeAsync("keys", "create", "--consumer", "mobile", "-c", _config);
        var key = KeyLine().Match(created).Groups["key"].Value;
        var id = IdLine().Match(created).Groups["id"].Value;
        var file = File.ReadAllText(Path.Combine(_dir, "portico-consumers.json"));
        var (_, consumers) = await InvokeAsync("consumers", "list", "-c", _config);
        var (_, keys) = await InvokeAsync("keys", "list", "-c", _config);
        var (revokeExit, _) = await InvokeAsync("keys", "revoke", id, "-c", _config);
        var after = ConsumerFile.Load(Path.Combine(_dir, "portico-consumers.json"));

        createExit.ShouldBe(0);
        key.ShouldStartWith("pk_");
        file.ShouldContain(ApiKeys.Hash(key));
        file.ShouldNotContain(key);
        consumers.ShouldContain("declared");
        consumers.ShouldContain("mobile");
        keys.ShouldContain(id);
        keys.ShouldNotContain(key);
        revokeExit.ShouldBe(0);
        after.Consumers.Single().Keys.ShouldBeEmpty();
        after.Consumers.Single().Scopes.ShouldBe(["users:read"]);
    }

    [Fact]
    public async Task ConsumersAdd_WithGroups_StoredListedAndValidated()
    {
        var (exit, _) = await InvokeAsync("consumers", "add", "partner", "--group", "partners", "--group", "beta", "-c", _config);
        var (badExit, bad) = await InvokeAsync("consumers", "add", "other", "--group", "has space", "-c", _config);
        var (_, listed) = await InvokeAsync("consumers", "list", "-c", _config);

        exit.ShouldBe(0);
        ConsumerFile.Load(Path.Combine(_dir, "portico-consumers.json")).Consumers.Single(c => c.Id == "partner").Groups.ShouldBe(["partners", "beta"]);
        listed.ShouldContain("groups partners,beta");
        badExit.ShouldBe(1);
        bad.ShouldContain("not a valid group name");
    }

    [Fact]
    public async Task ConsumersAdd_IdDeclaredInConfigOrTwice_Fails()
    {
        (await InvokeAsync("consumers", "add", "declared", "-c", _config)).ExitCode.ShouldBe(1);
        (await InvokeAsync("consumers", "add", "twice", "-c", _config)).ExitCode.ShouldBe(0);
        (await InvokeAsync("consumers", "add", "twice", "-c", _config)).ExitCode.ShouldBe(1);
    }

    [Fact]
    public async Task KeysRevoke_ConfigDeclaredKey_FailsPointingToTheConfig()
    {
        var (exit, output) = await InvokeAsync("keys", "revoke", ConsumerFile.KeyId(ApiKeys.Hash("pk_declared")), "-c", _config);

        exit.ShouldBe(1);
        output.ShouldContain("config file");
    }

    [Fact]
    public async Task ConsumersRemove_RemovesTheConsumerAndItsKeys()
    {
        await InvokeAsync("consumers", "add", "gone", "-c", _config);
        await InvokeAsync("keys", "create", "--consumer", "gone", "-c", _config);

        var (exit, _) = await InvokeAsync("consumers", "remove", "gone", "-c", _config);

        exit.ShouldBe(0);
        ConsumerFile.Load(Path.Combine(_dir, "portico-consumers.json")).Consumers.ShouldBeEmpty();
    }
}

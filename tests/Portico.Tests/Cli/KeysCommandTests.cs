using System.CommandLine;
using System.Text.RegularExpressions;
using Portico.Auth;
using Portico.Cli;
using Portico.Tests.Configuration;

namespace Portico.Tests.Cli;

public sealed partial class KeysCommandTests
{
    static async Task<(int ExitCode, string Output)> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        var configuration = new InvocationConfiguration { Output = output, Error = output, ProcessTerminationTimeout = null };
        var exit = await PorticoCli.CreateRootCommand().Parse(args).InvokeAsync(configuration, TestContext.Current.CancellationToken);
        return (exit, output.ToString());
    }

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

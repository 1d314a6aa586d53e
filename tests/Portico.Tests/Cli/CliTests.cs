using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Portico.Cli;

namespace Portico.Tests.Cli;

public sealed partial class CliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string yaml)
    {
        var path = Path.Combine(_dir, "portico.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    static Task<(int ExitCode, string Output)> InvokeAsync(params string[] args) => CliRunner.InvokeAsync(args);

    const string ThreeMistakes = """
        services:
          users:
            urls: [http://127.0.0.1:5101]
            timeout: 5
        routes:
          - name: user
            match: { path: "/api/users/{id}", metods: [GET] }
            service: user
        """;

    [GeneratedRegex(@"^\s+(?<file>.+portico\.yaml):(?<line>\d+):(?<col>\d+) (?<path>[^ ]+): (?<message>.+) — (?<hint>.+?)\r?$", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    [Fact]
    public async Task Validate_ConfigWithThreeMistakes_ListsEachWithLocationPathAndHintAndFails()
    {
        var path = Write(ThreeMistakes);

        var (exit, output) = await InvokeAsync("validate", "-c", path);

        exit.ShouldNotBe(0);
        output.ShouldContain("3 error(s)");
        var errors = ErrorLine().Matches(output).Select(m => new
        {
            File = m.Groups["file"].Value,
            Line = int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture),
            Path = m.Groups["path"].Value,
            Hint = m.Groups["hint"].Value,
        }).ToList();
        errors.Select(e => (e.Line, e.Path)).ShouldBe([(4, "services.users.timeout"), (7, "routes[0].match.metods"), (8, "routes[0].service")]);
        errors.ShouldAllBe(e => e.File == path);
        errors.Select(e => e.Hint).ShouldBe(["add a unit, e.g. '5s' or '5ms'", "did you mean 'methods'?", "did you mean 'users'?"]);
    }

    const string WithPolicy = """
        services:
          users: { urls: [http://127.0.0.1:5101] }
        routes:
          - name: user
            match: { path: "/api/users/{id}" }
            service: users
            policies: [tenant-check]
        """;

    [Fact]
    public async Task Validate_RouteNamingAPolicy_RefusedUnlessThePolicyIsNamed()
    {
        var path = Write(WithPolicy);

        var (without, refused) = await InvokeAsync("validate", "-c", path);
        var (with, accepted) = await InvokeAsync("validate", "-c", path, "--policy", "tenant-check", "--policy", "audit");

        without.ShouldBe(1);
        refused.ShouldContain("routes[0].policies: unknown policy 'tenant-check'");
        with.ShouldBe(0);
        accepted.ShouldBe("portico.yaml: OK — 1 gateway(s), 1 service(s), 1 route(s)." + Environment.NewLine);
    }

    [Fact]
    public async Task Validate_PolicyNamedNearly_SuggestsTheRegisteredName()
    {
        var (exit, output) = await InvokeAsync("validate", "-c", Write(WithPolicy), "--policy", "tenant-chek");

        exit.ShouldBe(1);
        output.ShouldContain("unknown policy 'tenant-check' — did you mean 'tenant-chek'?");
    }

    [Theory]
    [InlineData("")]
    [InlineData("tenant check")]
    [InlineData("x\r\nSet-Cookie: a=b")]
    [InlineData("tenant/check")]
    public async Task Validate_PolicyFlagNotAName_RefusedWithUsageExit(string name)
    {
        var (exit, output) = await InvokeAsync("validate", "-c", Write(WithPolicy), "--policy", name);

        exit.ShouldBe(2);
        output.ShouldContain("is not a policy name");
        output.ShouldNotContain("\r\nSet-Cookie");
    }

    [Fact]
    public async Task Validate_ValidConfig_PrintsSummaryAndSucceeds()
    {
        var path = Write(ThreeMistakes
            .Replace("timeout: 5", "timeout: 5s", StringComparison.Ordinal)
            .Replace("metods", "methods", StringComparison.Ordinal)
            .Replace("service: user", "service: users", StringComparison.Ordinal));

        var (exit, output) = await InvokeAsync("validate", "-c", path);

        output.ShouldBe("portico.yaml: OK — 1 gateway(s), 1 service(s), 1 route(s)." + Environment.NewLine);
        exit.ShouldBe(0);
    }

    [Theory]
    [InlineData("minimal.json")]
    [InlineData("bff.yaml")]
    public async Task Validate_ShippedExample_Succeeds(string example)
    {
        var (exit, output) = await InvokeAsync("validate", "-c", Path.Combine(Schema.RepoFiles.Root, "docs", "examples", example));

        output.ShouldStartWith($"{example}: OK");
        exit.ShouldBe(0);
    }

    [Fact]
    public async Task Validate_TlsCertificateFileMissing_ReportsItRelativeToTheConfig()
    {
        var path = Write("""
            gateways:
              web: { listen: ["https://127.0.0.1:8443"], tls: { certificate: certs/server.pem, key: certs/server.key } }
            """);
        Directory.CreateDirectory(Path.Combine(_dir, "certs"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "certs", "server.key"), "not checked here", TestContext.Current.CancellationToken);

        var (exit, output) = await InvokeAsync("validate", "-c", path);

        exit.ShouldNotBe(0);
        output.ShouldContain("1 error(s)");
        output.ShouldContain(":2:");
        output.ShouldContain("gateways.web.tls.certificate: file 'certs/server.pem' not found");
    }

    [Fact]
    public async Task Validate_MissingFile_FailsWithTheReason()
    {
        var (exit, output) = await InvokeAsync("validate", "-c", Path.Combine(_dir, "absent.yaml"));

        exit.ShouldNotBe(0);
        output.ShouldContain("cannot read the config file");
    }

    [Fact]
    public async Task Run_ConfigWithErrors_RefusesToStartAndPrintsEveryError()
    {
        var path = Write(ThreeMistakes);

        var (exit, output) = await InvokeAsync("run", "-c", path, "--no-watch");

        exit.ShouldBe(1);
        output.ShouldContain("portico.yaml: refusing to start, 3 error(s)");
        ErrorLine().Count(output).ShouldBe(3);
    }

    [Fact]
    public async Task Run_ValidConfig_ServesUntilCancelledThenExitsZero()
    {
        var port = FreePort();
        var path = Write($$"""
            gateways:
              web: { listen: ["http://127.0.0.1:{{port}}"] }
            server: { logging: { level: warning } }
            """);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new StringWriter();
        var configuration = new InvocationConfiguration { Output = output, Error = output, ProcessTerminationTimeout = null };

        var run = PorticoCli.CreateRootCommand().Parse(["run", "-c", path, "--no-watch"]).InvokeAsync(configuration, stop.Token);
        var live = await WaitForLiveAsync(port, run);
        await stop.CancelAsync();
        var exit = await run;

        live.ShouldBeTrue(output.ToString());
        exit.ShouldBe(0);
    }

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// Bounded poll: the command exposes no "started" event, so ask its health endpoint until a deadline.
    static async Task<bool> WaitForLiveAsync(int port, Task<int> run)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            try
            {
                using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"), TestContext.Current.CancellationToken);
                if (response.IsSuccessStatusCode) return true;
            }
            catch (HttpRequestException)
            {
                await Task.Yield();
            }
        }
        return false;
    }

    [Fact]
    public async Task Routes_ValidConfig_ListsRoutesInPrecedenceOrder()
    {
        var path = Write("""
            services:
              users: { urls: [http://127.0.0.1:5101] }
            routes:
              - { name: catch-all, match: { path: "/{**rest}" }, service: users }
              - { name: by-id, match: { path: "/users/{id}" }, service: users }
              - { name: me, match: { path: /users/me }, service: users }
            """);

        var (exit, output) = await InvokeAsync("routes", "-c", path);

        exit.ShouldBe(0);
        var names = output.Split('\n').Skip(1).Where(l => l.Trim().Length > 0).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
        names.ShouldBe(["me", "by-id", "catch-all"]);
    }

    [Fact]
    public async Task Routes_ExactPathAndCatchAllBelowIt_ListsTheExactPathFirst()
    {
        var path = Write("""
            services:
              users: { urls: [http://127.0.0.1:5101] }
            routes:
              - { name: users-rest, match: { path: "/users/{**rest}" }, service: users }
              - { name: users-optional, match: { path: "/users/{id?}" }, service: users }
              - { name: users-exact, match: { path: /users }, service: users }
            """);

        var (exit, output) = await InvokeAsync("routes", "-c", path);

        exit.ShouldBe(0);
        var names = output.Split('\n').Skip(1).Where(l => l.Trim().Length > 0).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
        names.ShouldBe(["users-exact", "users-optional", "users-rest"]);
    }
}

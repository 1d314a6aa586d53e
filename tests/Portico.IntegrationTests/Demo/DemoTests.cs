using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Portico.Demo;

namespace Portico.IntegrationTests.Demo;

/// The README's first command: the demo starts, its routes behave as described, and every `curl` line the
/// README prints works as printed (run with the real curl binary).
[Collection(DemoCollection.Name)]
public sealed class DemoTests
{
    static readonly int[] DemoPorts = [8080, 5100, 5101, 5102, 5201, 5301, 5401, 5501, 5601];

    [Fact]
    public async Task ReadmeCurlLines_RunAsPrintedAgainstTheDemo_AllExitZeroWith2xxOrTheErrorTheyShow()
    {
        var ct = TestContext.Current.CancellationToken;
        var lines = ReadmeDemo.CurlLines();
        lines.Count.ShouldBeGreaterThanOrEqualTo(5, "the README's demo section should list the curl lines to try");
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);

        var failures = new List<string>();
        foreach (var line in lines)
        {
            var asPrinted = await RunShellAsync(line, ct);
            if (asPrinted.ExitCode != 0 || string.IsNullOrWhiteSpace(asPrinted.Output))
            {
                failures.Add($"`{line}` exited {asPrinted.ExitCode}: {asPrinted.Error}");
                continue;
            }
            // A line without -f shows an error answer on purpose (e.g. no broker configured).
            var showsError = !line.Contains(" -f ", StringComparison.Ordinal);
            // A line piping curl's output into a filter: the status is the curl's.
            var curl = line.Split(" | ")[0];
            var status = await RunShellAsync(curl + " -o /dev/null -w '%{http_code}'", ct);
            if (!int.TryParse(status.Output, out var code) || (showsError ? code < 400 : code is < 200 or > 299))
                failures.Add($"`{line}` answered HTTP {status.Output}");
        }

        failures.ShouldBeEmpty();
    }

    [Fact]
    public void CurlLines_PrintedByTheDemo_AreTheReadmeLines()
    {
        var readme = ReadmeDemo.CurlLines();

        DemoHost.CurlLines.ShouldBe(readme);
    }

    [Fact]
    public async Task DemoRoutes_VersionsCanaryAndCatchAll_ReachTheServiceTheReadmeNames()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, UseProxy = false }) { BaseAddress = new Uri(demo.GatewayUrl) };

        var v1 = await GetJsonAsync(client, "/api/users/1", ct, ("X-Api-Key", DemoAuthTests.DemoKey));
        var v2ByHeader = await GetJsonAsync(client, "/api/users/1", ct, ("Api-Version", "2"));
        var v2ByPath = await GetJsonAsync(client, "/api/v2/users/2", ct);
        var v2ByAccept = await GetJsonAsync(client, "/api/users/3", ct, ("Accept", "application/vnd.portico.v2+json"));
        var credits = await GetJsonAsync(client, "/api/credits/ACC-1001", ct);
        var pinnedCanary = await GetJsonAsync(client, "/api/checkout/cart", ct, ("Cookie", "portico-canary=checkout-v2"));
        var pinnedMonolith = await GetJsonAsync(client, "/api/checkout/cart", ct, ("Cookie", "portico-canary=monolith"));
        using var firstVisit = await client.GetAsync("/api/checkout/cart", ct);
        using var legacy = await client.DeleteAsync("/reports/2024?format=csv", ct);

        v1.GetProperty("creditAccount").GetString().ShouldBe("ACC-1001");
        v1.TryGetProperty("personId", out _).ShouldBeFalse();
        v2ByHeader.GetProperty("personId").GetInt32().ShouldBe(1);
        v2ByHeader.GetProperty("contact").GetProperty("email").GetString().ShouldBe("ada@example.com");
        v2ByPath.GetProperty("personId").GetInt32().ShouldBe(2);
        v2ByAccept.GetProperty("personId").GetInt32().ShouldBe(3);
        credits.GetProperty("currency").GetString().ShouldBe("EUR");
        pinnedCanary.GetProperty("servedBy").GetString().ShouldBe("checkout-v2");
        pinnedMonolith.GetProperty("servedBy").GetString().ShouldBe("monolith");
        firstVisit.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("portico-canary=", StringComparison.Ordinal));
        using var legacyBody = JsonDocument.Parse(await legacy.Content.ReadAsStringAsync(ct));
        legacyBody.RootElement.GetProperty("servedBy").GetString().ShouldBe("monolith");
        legacyBody.RootElement.GetProperty("method").GetString().ShouldBe("DELETE");
        legacyBody.RootElement.GetProperty("path").GetString().ShouldBe("/reports/2024");
    }

    [Fact]
    public async Task StartAsync_PortTaken_ThrowsNamingThePortAndReleasesWhatItStarted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var squatter = new TcpListener(IPAddress.Loopback, 5201);
        squatter.Start();
        DemoPortInUseException error;
        try
        {
            error = await Should.ThrowAsync<DemoPortInUseException>(() => DemoHost.StartAsync(cancellationToken: ct));
        }
        finally
        {
            squatter.Stop();
        }

        error.Ports.ShouldBe("5201");
        error.Server.ShouldBe("credits");
        error.Message.ShouldContain("5201");
        foreach (var port in DemoPorts) CanListenOn(port).ShouldBeTrue($"port {port} should be free again");
    }

    [Fact]
    public async Task StopAsync_AfterStart_ReleasesEveryPort()
    {
        var ct = TestContext.Current.CancellationToken;
        var demo = await DemoHost.StartAsync(cancellationToken: ct);
        var ports = demo.Servers.Select(s => new Uri(s.Url).Port).ToList();
        CanListenOn(8080).ShouldBeFalse();

        await demo.StopAsync(ct);

        ports.ShouldBe(DemoPorts, ignoreOrder: true);
        foreach (var port in ports) CanListenOn(port).ShouldBeTrue($"port {port} should be free after StopAsync");
    }

    static async Task<JsonElement> GetJsonAsync(HttpClient client, string path, CancellationToken ct, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(request, ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"GET {path}");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return body.RootElement.Clone();
    }

    static bool CanListenOn(int port)
    {
        using var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    static async Task<(int ExitCode, string Output, string Error)> RunShellAsync(string command, CancellationToken ct)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // A machine-wide HTTP proxy must not catch requests meant for the local demo.
        start.Environment["NO_PROXY"] = start.Environment["no_proxy"] = "127.0.0.1,localhost";
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}

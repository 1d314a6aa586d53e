using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Reload;

/// A running `portico run` process reloads its config on SIGHUP (file watching off, so only the signal can
/// cause it), and stops gracefully on SIGTERM.
public sealed class SignalReloadTests
{
    static string Config(TestBackend target) => $$"""
        services:
          target: { urls: ["{{target.Url}}"] }
        routes:
          - name: all
            match: { path: "/{**rest}" }
            service: target
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sighup_ReloadsTheConfigFile(bool startedWithSighupIgnored)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var before = await TestBackend.StartAsync("before");
        await using var after = await TestBackend.StartAsync("after");
        // Started with SIGHUP ignored (nohup, some supervisors), kill -HUP still reloads.
        await using var gateway = startedWithSighupIgnored
            ? await GatewayProcess.StartIgnoringSighupAsync(Config(before), "--no-watch")
            : await GatewayProcess.StartAsync(Config(before), "--no-watch");
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        (await BackendOf(client, ct)).ShouldBe("before");

        await File.WriteAllTextAsync(gateway.ConfigPath, GatewayProcess.WithGateway(Config(after), gateway.Port), ct);
        gateway.Signal("HUP");
        await gateway.WaitForLogAsync(l => l.Contains("Configuration version 2 applied", StringComparison.Ordinal), TimeSpan.FromSeconds(15));

        (await BackendOf(client, ct)).ShouldBe("after");
    }

    static async Task<string?> BackendOf(HttpClient client, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/who", ct));
        return doc.RootElement.GetProperty("backend").GetString();
    }
}

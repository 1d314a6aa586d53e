using System.Net;
using System.Text.Json;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Telemetry;

/// `portico run` with the access log on stdout, beside its own console log: whole lines that never interleave.
public sealed class AccessLogStdoutTests
{
    [Fact]
    public async Task AccessLog_StdoutBesideTheConsoleLog_EveryLineWholeAndAllWrittenBeforeExit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        // Each refused request writes an access log line and a log message at about the same moment.
        await using var gateway = await GatewayProcess.StartAsync($$"""
            services:
              api: { urls: ["{{backend.Url}}"] }
            auth:
              apikey: { header: X-Api-Key }
              consumers:
                shop: { keys: ["{{ApiKeys.Hash(ApiKeys.Generate())}}"] }
            routes:
              - { name: keyed, match: { path: "/keyed/{**rest}" }, service: api, auth: [apikey] }
              - { name: open, match: { path: "/open/{**rest}" }, service: api }
            telemetry:
              accessLog: true
            """);
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        const int Requests = 300;

        var statuses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            using var response = await client.GetAsync(i % 2 == 0 ? $"/keyed/{i}" : $"/open/{i}", ct);
            return response.StatusCode;
        }));
        gateway.Signal("TERM");
        (await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30))).ShouldBe(0);

        statuses.Count(s => s == HttpStatusCode.Unauthorized).ShouldBe(Requests / 2);
        var lines = gateway.Output.Split(Environment.NewLine);
        var accessLines = lines.Where(l => l.StartsWith("{\"timestamp\"", StringComparison.Ordinal)).ToList();
        // An interleaved write would leave a line holding parts of both, or an access line that does not parse.
        lines.Where(l => l.Contains("\"timestamp\"", StringComparison.Ordinal)).Count().ShouldBe(accessLines.Count);
        var paths = accessLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()).ToList();
        paths.Order().ShouldBe(Enumerable.Range(0, Requests).Select(i => i % 2 == 0 ? $"/keyed/{i}" : $"/open/{i}").Order());
        lines.Count(l => l.Contains("Refused on route keyed", StringComparison.Ordinal)).ShouldBe(Requests / 2);
    }
}

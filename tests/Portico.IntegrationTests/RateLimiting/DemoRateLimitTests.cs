using System.Diagnostics;
using Portico.Demo;
using Portico.IntegrationTests.Demo;

namespace Portico.IntegrationTests.RateLimiting;

/// The README's rate-limit loop, run as printed against the demo (which binds fixed ports, hence the collection).
[Collection(DemoCollection.Name)]
public sealed class DemoRateLimitTests
{
    [Fact]
    public void ReadmeRateLimitLoop_IsTheLineTheDemoPrints()
    {
        ReadmeLoop().ShouldBe(DemoHost.RateLimitLoop);
    }

    [Fact]
    public async Task ReadmeRateLimitLoop_RunAsPrinted_PrintsFive200sThen429()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment["NO_PROXY"] = start.Environment["no_proxy"] = "127.0.0.1,localhost";
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(ReadmeLoop());
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);

        process.ExitCode.ShouldBe(0);
        output.Trim().ShouldBe("200 200 200 200 200 429");
    }

    static string ReadmeLoop()
    {
        var lines = File.ReadAllLines(Path.Combine(ReadmeDemo.RepositoryRoot(), "README.md"));
        var start = Array.FindIndex(lines, l => l.TrimEnd() == ReadmeDemo.SectionHeading);
        return lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Single(l => l.StartsWith("for ", StringComparison.Ordinal) && l.Contains("/api/limited/", StringComparison.Ordinal));
    }
}

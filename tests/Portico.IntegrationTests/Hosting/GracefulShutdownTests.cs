using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Hosting;

/// `portico run` as a real process on SIGTERM: it stops accepting connections, turns unready, lets running
/// requests finish up to server.shutdownTimeout, then exits.
public sealed class GracefulShutdownTests
{
    static readonly string SlowBody = new('x', 200_000);

    static string Config(TestBackend backend, string shutdownTimeout) => $$"""
        services:
          slow: { urls: ["{{backend.Url}}"], timeout: 60s }
        routes:
          - name: all
            match: { path: "/{**rest}" }
            service: slow
        server:
          shutdownTimeout: {{shutdownTimeout}}
        """;

    [Fact]
    public async Task Sigterm_RequestRunningTenSecondsWithThirtySecondTimeout_FinishesAndProcessExitsZero()
    {
        var ct = TestContext.Current.CancellationToken;
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = false;
        await using var backend = await TestBackend.StartAsync("slow", app => app.MapGet("/slow", async () =>
        {
            arrived.TrySetResult();
            // The backend's own 10 s of work (not test synchronisation): the request the drain has to wait for.
            await Task.Delay(TimeSpan.FromSeconds(10));
            Volatile.Write(ref answered, true);
            return Results.Text(SlowBody);
        }));
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, "30s"));
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var slow = client.GetAsync("/slow", ct);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);
        // A keep-alive connection with a request under way: its first header line is in, the rest comes during the drain.
        using var open = new TcpClient();
        await open.ConnectAsync(IPAddress.Loopback, gateway.Port, ct);
        var stream = open.GetStream();
        await stream.WriteAsync("GET /readyz HTTP/1.1\r\nHost: gateway\r\n"u8.ToArray(), ct);
        await stream.FlushAsync(ct);

        gateway.Signal("TERM");
        await gateway.WaitForLogAsync(l => l.Contains("draining 1 in-flight requests, up to 00:00:30", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        await stream.WriteAsync("\r\n"u8.ToArray(), ct);
        var ready = await ReadUntilClosedAsync(stream, ct);
        ready.ShouldStartWith("HTTP/1.1 503");
        ready.ShouldContain("Connection: close", Case.Insensitive);
        ready.ShouldContain("\"status\":\"stopping\"");
        // New connections are refused while the slow request is still running.
        await Poll.UntilAsync(() => !Connects(gateway.Port), TimeSpan.FromSeconds(10));
        Volatile.Read(ref answered).ShouldBeFalse();

        using var response = await slow;
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(ct)).ShouldBe(SlowBody);
        response.Headers.ConnectionClose.ShouldBe(true);
        (await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30))).ShouldBe(0);
        gateway.Output.ShouldContain("Shutdown drain complete");
    }

    [Fact]
    public async Task Sigterm_RequestOutlivesShutdownTimeout_IsCutAndProcessExits()
    {
        var ct = TestContext.Current.CancellationToken;
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("hang", app => app.MapGet("/hang", async () =>
        {
            arrived.TrySetResult();
            await never.Task;
            return Results.Text("late");
        }));
        try
        {
            await using var gateway = await GatewayProcess.StartAsync(Config(backend, "2s"));
            using var client = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var hanging = client.GetAsync("/hang", ct);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);

            gateway.Signal("TERM");

            (await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20))).ShouldBe(0);
            await Should.ThrowAsync<HttpRequestException>(() => hanging);
            gateway.Output.ShouldContain("Shutdown timeout of 00:00:02 reached");
        }
        finally
        {
            never.TrySetResult();
        }
    }

    static bool Connects(int port)
    {
        using var probe = new TcpClient();
        try
        {
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// The whole answer: the server closes the connection after it (Connection: close during the drain).
    static async Task<string> ReadUntilClosedAsync(NetworkStream stream, CancellationToken ct)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        int read;
        while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0) text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        return text.ToString();
    }
}

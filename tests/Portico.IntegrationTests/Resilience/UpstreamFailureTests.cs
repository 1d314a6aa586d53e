using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Resilience;

public sealed class UpstreamFailureTests
{
    [Fact]
    public async Task Proxy_NothingListening_Answers502ProblemWithoutTheAddress()
    {
        var port = ClosedPort.Next();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              orders: { urls: ["http://127.0.0.1:{{port}}"] }
            routes:
              - name: list-orders
                match: { path: "/api/orders" }
                service: orders
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/orders", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        problem.ContentType.ShouldBe("application/problem+json");
        problem.Type.ShouldBe("urn:portico:problem:upstream-unreachable");
        problem.Status.ShouldBe(502);
        problem.Service.ShouldBe("orders");
        problem.Route.ShouldBe("list-orders");
        problem.Text.ShouldNotContain("127.0.0.1");
        problem.Text.ShouldNotContain($":{port}");
    }

    [Fact]
    public async Task Proxy_UpstreamSlowerThanRouteTimeout_Answers504AfterTheRouteTimeoutNotTheServices()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await StartReportsAsync(release.Task);
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              reports: { urls: ["{{slow.Url}}"], timeout: 30s }
            routes:
              - name: report
                match: { path: "/report" }
                service: reports
                timeout: 300ms
            """);
        using var client = gateway.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(20);

        try
        {
            var clock = Stopwatch.StartNew();
            var response = await client.GetAsync("/report", TestContext.Current.CancellationToken);
            clock.Stop();

            response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
            var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
            problem.ContentType.ShouldBe("application/problem+json");
            problem.Type.ShouldBe("urn:portico:problem:upstream-timeout");
            problem.Service.ShouldBe("reports");
            problem.Route.ShouldBe("report");
            clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250));
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
            slow.CallsTo("/report").ShouldBe(1);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task Proxy_UpstreamSlowerThanServiceTimeout_Answers504()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await StartReportsAsync(release.Task);
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              reports: { urls: ["{{slow.Url}}"], timeout: 300ms }
            routes:
              - name: report
                match: { path: "/report" }
                service: reports
            """);
        using var client = gateway.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(20);

        try
        {
            var response = await client.GetAsync("/report", TestContext.Current.CancellationToken);

            response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
            (await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken)).Type.ShouldBe("urn:portico:problem:upstream-timeout");
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task Proxy_UpstreamFasterThanRouteTimeout_AnswersNormally()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("reports", app => app.MapGet("/report", async () =>
        {
            arrived.TrySetResult();
            await release.Task;
            return "on time";
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              reports: { urls: ["{{backend.Url}}"], timeout: 300ms }
            routes:
              - name: report
                match: { path: "/report" }
                service: reports
                timeout: 30s
            """);
        using var client = gateway.CreateClient();

        var pending = client.GetAsync("/report", TestContext.Current.CancellationToken);
        await arrived.Task.WaitAsync(TestContext.Current.CancellationToken);
        // Outlast the service's own 300ms timeout: the route's 30s must be the one in force.
        var early = await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));
        release.TrySetResult();
        var response = await pending;

        early.ShouldNotBe(pending);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("on time");
    }

    /// A `reports` service whose `/report` answers only once <paramref name="release"/> completes.
    static Task<TestBackend> StartReportsAsync(Task release) =>
        TestBackend.StartAsync("reports", app => app.MapGet("/report", async () =>
        {
            await release;
            return "late";
        }));
}

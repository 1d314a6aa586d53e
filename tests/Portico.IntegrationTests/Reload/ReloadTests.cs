using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.Routing;
using Portico.Runtime;

namespace Portico.IntegrationTests.Reload;

/// Hot reload: new weights and routes apply without a restart; bad configs and listener changes are refused
/// while the old routes keep serving; requests in flight finish on the config they started with.
public sealed class ReloadTests : IAsyncLifetime
{
    TestBackend _blue = null!;
    TestBackend _green = null!;

    public async ValueTask InitializeAsync()
    {
        _blue = await TestBackend.StartAsync("blue");
        _green = await TestBackend.StartAsync("green");
    }

    public async ValueTask DisposeAsync()
    {
        await _green.DisposeAsync();
        await _blue.DisposeAsync();
    }

    string SplitConfig(int blue, int green) => $$"""
        services:
          blue: { urls: ["{{_blue.Url}}"] }
          green: { urls: ["{{_green.Url}}"] }
        routes:
          - name: app
            match: { path: "/app/{**rest}" }
            split: { blue: {{blue}}, green: {{green}} }
        """;

    static string WithDefaultGateway(string yaml) => "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n" + yaml;

    [Fact]
    public async Task ReloadAsync_WeightsFlipped_AllTrafficMovesWithoutRestart()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfig(100, 0));
        using var client = gateway.CreateClient();
        var app = gateway.App;
        var port = gateway.BaseAddress().Port;
        for (var i = 0; i < 20; i++) (await BackendReply.GetAsync(client, "/app/x")).Backend.ShouldBe("blue");
        var before = gateway.Runtime.Current.Version;
        var blueRuntime = gateway.Runtime.Current.Services["blue"];

        await File.WriteAllTextAsync(gateway.ConfigPath, WithDefaultGateway(SplitConfig(0, 100)), TestContext.Current.CancellationToken);
        var result = await gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
        result.Version.ShouldBeGreaterThan(before);
        // Unchanged services keep their runtime (connection pool, health state) across the reload.
        gateway.Runtime.Current.Services["blue"].ShouldBeSameAs(blueRuntime);
        for (var i = 0; i < 20; i++) (await BackendReply.GetAsync(client, "/app/x")).Backend.ShouldBe("green");
        gateway.App.ShouldBeSameAs(app);
        gateway.BaseAddress().Port.ShouldBe(port);
    }

    [Fact]
    public async Task ReloadAsync_InvalidFile_RefusedWithErrorsAndOldRoutesKeepServing()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfig(100, 0));
        using var client = gateway.CreateClient();
        var version = gateway.Runtime.Current.Version;
        var broken = WithDefaultGateway($$"""
            services:
              blue: { urls: ["{{_blue.Url}}"] }
            routes:
              - name: app
                match: { path: "/app/{**rest}" }
                service: bleu
            """);

        await File.WriteAllTextAsync(gateway.ConfigPath, broken, TestContext.Current.CancellationToken);
        var result = await gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeFalse();
        result.Errors.ShouldContain(e => e.Message.Contains("unknown service 'bleu'"));
        result.Version.ShouldBe(version);
        gateway.Runtime.Current.Version.ShouldBe(version);
        var reply = await BackendReply.GetAsync(client, "/app/still-here");
        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe("blue");
    }

    [Fact]
    public async Task ReloadAsync_UnparsableYaml_RefusedAndOldRoutesKeepServing()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfig(100, 0));
        using var client = gateway.CreateClient();
        var version = gateway.Runtime.Current.Version;

        await File.WriteAllTextAsync(gateway.ConfigPath, "routes: [ { name: x, match: { path: ", TestContext.Current.CancellationToken);
        var result = await gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeFalse();
        result.Errors.ShouldNotBeEmpty();
        gateway.Runtime.Current.Version.ShouldBe(version);
        (await BackendReply.GetAsync(client, "/app/x")).Backend.ShouldBe("blue");
    }

    [Fact]
    public async Task ReloadAsync_ListenersChanged_RefusedAndOldRoutesKeepServing()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfig(100, 0));
        using var client = gateway.CreateClient();
        var version = gateway.Runtime.Current.Version;
        var moved = "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\", \"http://127.0.0.1:1\"]\n" + SplitConfig(0, 100);

        await File.WriteAllTextAsync(gateway.ConfigPath, moved, TestContext.Current.CancellationToken);
        var result = await gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeFalse();
        result.Errors.ShouldContain(e => e.Path == "gateways" && e.Message.Contains("restart"));
        gateway.Runtime.Current.Version.ShouldBe(version);
        (await BackendReply.GetAsync(client, "/app/x")).Backend.ShouldBe("blue");
    }

    [Fact]
    public async Task ReloadAsync_RouteRemovedWhileRequestInFlight_InFlightFinishesOnOldConfig()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", app => app.MapGet("/work", async () =>
        {
            arrived.TrySetResult();
            await release.Task;
            return Results.Text("done by slow");
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              slow: { urls: ["{{slow.Url}}"] }
              blue: { urls: ["{{_blue.Url}}"] }
            routes:
              - name: slow
                match: { path: "/slow" }
                service: slow
                rewrite: /work
              - name: app
                match: { path: "/app/{**rest}" }
                service: blue
            """);
        using var client = gateway.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(10);
        var inFlight = client.GetAsync("/slow", TestContext.Current.CancellationToken);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        await File.WriteAllTextAsync(gateway.ConfigPath, WithDefaultGateway($$"""
            services:
              blue: { urls: ["{{_blue.Url}}"] }
            routes:
              - name: app
                match: { path: "/app/{**rest}" }
                service: blue
            """), TestContext.Current.CancellationToken);
        var result = await gateway.Runtime.ReloadAsync();
        result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
        var after = await BackendReply.GetAsync(client, "/slow");
        release.SetResult();
        using var response = await inFlight;

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe("done by slow");
        after.Status.ShouldBe(HttpStatusCode.NotFound);
        after.ContentType.ShouldBe("application/problem+json");
        after.ProblemType.ShouldBe("urn:portico:problem:no-route");
        gateway.Runtime.Current.Services.ContainsKey("slow").ShouldBeFalse();
    }

    [Fact]
    public async Task FileWatcher_ConfigFileRewritten_SwapsToNewConfig()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfig(100, 0), watch: true);
        using var client = gateway.CreateClient();
        (await BackendReply.GetAsync(client, "/app/x")).Backend.ShouldBe("blue");
        var holder = gateway.App.Services.GetRequiredService<RuntimeHolder>();
        var swapped = new TaskCompletionSource<RuntimeSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        holder.Swapped += s => swapped.TrySetResult(s);
        var before = gateway.Runtime.Current.Version;

        await File.WriteAllTextAsync(gateway.ConfigPath, WithDefaultGateway(SplitConfig(0, 100)), TestContext.Current.CancellationToken);
        var snapshot = await swapped.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        snapshot.Version.ShouldBeGreaterThan(before);
        for (var i = 0; i < 10; i++) (await BackendReply.GetAsync(client, "/app/x")).Backend.ShouldBe("green");
    }
}

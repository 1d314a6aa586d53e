using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;
using static Portico.Tests.Routing.Routes;

namespace Portico.Tests.Runtime;

public sealed class RuntimeSnapshotTests
{
    static readonly PorticoConfig EmptyConfig = new([], [], [], ServerDefinition.Default);

    static RuntimeSnapshot Snapshot(long version, params string[] routeNames)
    {
        var snapshot = new RuntimeSnapshot(version, EmptyConfig, new Dictionary<string, ServiceRuntime>());
        var routes = routeNames.Select((name, i) => new GatewayRoute(Route(name, i, "/" + name), "default", NoHandler.Instance)).ToList();
        snapshot.Seal([], routes);
        return snapshot;
    }

    [Fact]
    public void Drained_NotRetired_NotCompleted()
    {
        var snapshot = Snapshot(1, "a");

        snapshot.Drained.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public void Retire_NoLeases_DrainedAtOnceAndNoNewLease()
    {
        var snapshot = Snapshot(1, "a");

        snapshot.Retire(Snapshot(2, "a"));

        snapshot.Drained.IsCompleted.ShouldBeTrue();
        snapshot.TryEnter().ShouldBeFalse();
    }

    [Fact]
    public void Retire_WithLeases_DrainedOnlyAfterLastExit()
    {
        var snapshot = Snapshot(1, "a");
        snapshot.TryEnter().ShouldBeTrue();
        snapshot.TryEnter().ShouldBeTrue();

        snapshot.Retire(Snapshot(2, "a"));
        var afterRetire = snapshot.Drained.IsCompleted;
        snapshot.Exit();
        var afterFirstExit = snapshot.Drained.IsCompleted;
        snapshot.Exit();

        afterRetire.ShouldBeFalse();
        afterFirstExit.ShouldBeFalse();
        snapshot.Drained.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void Retire_LeaseTakenWhileRetiring_StillGranted()
    {
        var snapshot = Snapshot(1, "a");
        snapshot.TryEnter().ShouldBeTrue();
        snapshot.Retire(Snapshot(2, "a"));

        // Not drained yet: a request that matched the old route may still join it.
        snapshot.TryEnter().ShouldBeTrue();
        snapshot.Exit();
        snapshot.Exit();

        snapshot.Drained.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void LiveRoute_DrainedSnapshot_ResolvesSameRouteInSuccessorChain()
    {
        var first = Snapshot(1, "a", "b");
        var second = Snapshot(2, "a", "b");
        var third = Snapshot(3, "a");
        first.Retire(second);
        second.Retire(third);

        var (snapshot, route) = first.LiveRoute("default", "a");
        var (_, removed) = first.LiveRoute("default", "b");

        snapshot.ShouldBeSameAs(third);
        route.ShouldBeSameAs(third.Routes.Single(r => r.Name == "a"));
        removed.ShouldBeNull();
    }

    [Fact]
    public async Task Leases_ConcurrentEnterExitWithRetire_DrainsExactlyOnceAllExited()
    {
        var snapshot = Snapshot(1, "a");
        using var go = new ManualResetEventSlim();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            go.Wait(TestContext.Current.CancellationToken);
            for (var i = 0; i < 10_000; i++)
            {
                if (!snapshot.TryEnter()) return;
                snapshot.Drained.IsCompleted.ShouldBeFalse();
                snapshot.Exit();
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        go.Set();
        snapshot.Retire(Snapshot(2, "a"));
        await Task.WhenAll(workers);

        await snapshot.Drained.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        snapshot.TryEnter().ShouldBeFalse();
    }
}

/// A route handler that answers nothing: these tests only take and release leases.
sealed class NoHandler : RouteHandler
{
    public static readonly NoHandler Instance = new();

    public override Task HandleAsync(Microsoft.AspNetCore.Http.HttpContext context, GatewayRoute route) => Task.CompletedTask;
}

using Portico.Configuration;
using Portico.Hosting;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Tests.Runtime;

/// A swap tells routing first and shows the new version after: whoever sees the new version (a test, a health
/// check, a tool) finds requests already matched against its routes.
public sealed class RuntimeHolderTests
{
    static RuntimeSnapshot Snapshot(long version)
    {
        var config = ConfigLoading.LoadText("""
            services:
              users: { urls: ["http://127.0.0.1:5001"] }
            routes:
              - name: users
                match: { path: "/api/users/{id}" }
                service: users
            """, "portico.yaml", BuiltInRouteKinds.Set).Config!;
        return new RuntimeSnapshot(version, config, new Dictionary<string, ServiceRuntime>());
    }

    [Fact]
    public void Swap_RoutingToldBeforeTheNewVersionShows()
    {
        var holder = new RuntimeHolder();
        holder.Swap(Snapshot(1));
        var next = Snapshot(2);
        long versionWhileRouting = 0;
        holder.GetChangeToken().RegisterChangeCallback(_ => versionWhileRouting = holder.Current.Version, null);

        holder.Swap(next);

        versionWhileRouting.ShouldBe(1);
        holder.Current.ShouldBeSameAs(next);
    }
}

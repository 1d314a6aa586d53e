using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.Caching;
using Portico.Configuration;
using Portico.Hosting;
using Portico.Store;
using StackExchange.Redis;

namespace Portico.Cli;

/// `portico cache purge -c FILE (--route NAME | --prefix /path | --all)`: evicts cached responses. With `store: redis`
/// in Redis (every node shares it); with the memory store through a request file the running gateway applies.
internal static class CacheCommand
{
    static readonly TimeSpan GatewayWait = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var config = CommonOptions.Config();
        var route = new Option<string>("--route") { Description = "Evict the responses cached for this route." };
        var prefix = new Option<string>("--prefix") { Description = "Evict the responses whose path is this path or under it (whole segments), e.g. /api/users." };
        var all = new Option<bool>("--all") { Description = "Evict every cached response." };
        var purge = new Command("purge", "Evict cached responses, on every gateway node sharing the store.") { config, route, prefix, all };
        purge.SetAction(async (parse, cancellation) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            var file = parse.GetRequiredValue(config);
            var result = ConfigLoader.LoadFile(file.FullName);
            if (!result.Success)
            {
                error.WriteLine($"{file.Name}: {result.Errors.Count} error(s)");
                foreach (var e in result.Errors) error.WriteLine("  " + e);
                return 1;
            }
            var loaded = result.Config!;
            var (routeName, prefixPath, everything) = (parse.GetValue(route), parse.GetValue(prefix), parse.GetValue(all));
            if ((routeName is null ? 0 : 1) + (prefixPath is null ? 0 : 1) + (everything ? 1 : 0) != 1)
            {
                error.WriteLine("give exactly one of --route NAME, --prefix /path or --all");
                return 2;
            }
            string tag;
            if (routeName is not null)
            {
                var names = loaded.Routes.Select(r => r.Name).ToList();
                if (!names.Contains(routeName))
                {
                    error.WriteLine($"no route '{routeName}' in {file.Name}" + (Suggest.DidYouMean(routeName, names) is { } hint ? $"; {hint}" : ""));
                    return 1;
                }
                tag = CacheTags.Route(routeName);
            }
            else if (prefixPath is not null)
            {
                if (!prefixPath.StartsWith('/'))
                {
                    error.WriteLine($"'{prefixPath}' is not a path; give one that starts with '/', e.g. --prefix /api/users");
                    return 2;
                }
                tag = CacheTags.Prefix(prefixPath);
            }
            else
            {
                tag = CacheTags.All;
            }
            var what = routeName is not null ? $"route {routeName}" : prefixPath is not null ? $"paths under {prefixPath}" : "everything";

            if (loaded.Store is { Kind: StoreKind.Redis } store)
            {
                using var redis = new RedisConnections(NullLogger<RedisConnections>.Instance);
                try
                {
                    var count = await RedisOutputCacheStore.EvictAsync(redis.Database(store), tag).ConfigureAwait(false);
                    output.WriteLine($"purged {what}: {count} cached response(s) evicted from Redis (every node sharing it)");
                    return 0;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    error.WriteLine($"Redis at {store.Connection?.Split(',')[0]} is not reachable: {ex.Message}");
                    return 1;
                }
            }

            var path = CachePurgeRequests.PathFor(file.FullName);
            CachePurgeRequests.Write(path, new CachePurgeRequests.Request(Guid.NewGuid().ToString("N"), [tag]));
            var deadline = DateTime.UtcNow + GatewayWait;
            while (File.Exists(path) && DateTime.UtcNow < deadline) await Task.Delay(25, cancellation).ConfigureAwait(false);
            if (!File.Exists(path))
            {
                output.WriteLine($"purged {what} on the running gateway");
                return 0;
            }
            File.Delete(path);
            error.WriteLine($"no running gateway for {file.Name} applied the purge within {GatewayWait.TotalSeconds:0}s; with the memory store the cache lives in the gateway process (nothing to purge when none runs)");
            return 1;
        });
        return new Command("cache", "The response cache.") { purge };
    }
}

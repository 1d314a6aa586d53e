using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Store;

namespace Portico.Caching;

internal static class CachingExtensions
{
    /// ASP.NET Core's output cache with Portico's store (memory bounded by `server.cache`, or Redis) and purge watcher.
    public static IServiceCollection AddPorticoCaching(this IServiceCollection services, ServerDefinition server, TimeProvider time)
    {
        services.AddOutputCache(o =>
        {
            o.SizeLimit = server.CacheSize;
            o.MaximumBodySize = server.CacheMaxBodySize;
            // Upstreams may tell /Items from /items; the cache must not mix them.
            o.UseCaseSensitivePaths = true;
        });
        // Ours in place of the framework's memory store: PorticoCacheStore keeps entries in memory itself.
        services.Remove(services.Last(d => d.ServiceType == typeof(IOutputCacheStore)));
        services.AddSingleton(sp => new PorticoCacheStore(server, sp.GetRequiredService<RuntimeHolder>(),
            sp.GetRequiredService<RedisConnections>(), time, sp.GetRequiredService<ILogger<PorticoCacheStore>>()));
        services.AddSingleton<IOutputCacheStore>(sp => sp.GetRequiredService<PorticoCacheStore>());
        services.AddHostedService<CachePurgeWatcher>();
        return services;
    }

    /// After auth and rate limiting: a hit still counts against the caller's limit, and the key can hold the caller.
    public static IApplicationBuilder UsePorticoCaching(this IApplicationBuilder app)
    {
        app.UseMiddleware<CacheLookupMiddleware>();
        app.UseOutputCache();
        return app.UseMiddleware<CacheHeadersMiddleware>();
    }
}

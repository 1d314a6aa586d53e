using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Portico.Store;

namespace Portico.RateLimiting;

internal static class RateLimitingExtensions
{
    /// Rate-limit counters (memory and Redis), the shared Redis connections and the fallback reporting.
    public static IServiceCollection AddPorticoRateLimiting(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<RedisConnections>();
        services.AddSingleton<RateLimitMetrics>();
        services.AddSingleton<StoreFallbackLog>();
        services.AddSingleton<RateLimitRegistry>();
        return services;
    }

    /// After routing (the policy comes from the endpoint) and after edge authentication (for the consumer key).
    public static IApplicationBuilder UsePorticoRateLimiting(this IApplicationBuilder app) => app.UseMiddleware<RateLimitingMiddleware>();
}

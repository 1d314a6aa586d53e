using Microsoft.Extensions.DependencyInjection;

namespace Portico.Aggregation;

public static class AggregationServiceCollectionExtensions
{
    /// Registers what aggregate routes need: the part caller and the handler.
    public static IServiceCollection AddPorticoAggregation(this IServiceCollection services)
    {
        services.AddSingleton<PartCaller>();
        services.AddSingleton<AggregateHandler>();
        return services;
    }
}

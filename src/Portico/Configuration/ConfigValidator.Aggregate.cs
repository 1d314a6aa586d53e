using Portico.Aggregation;
using Portico.Routing;

namespace Portico.Configuration;

public static partial class ConfigValidator
{
    /// Aggregate routes: one kind of target only, known services, and a plan that compiles (references, cycles).
    static void ValidateAggregates(PorticoConfig config, ConfigSourceMap where, List<ConfigError> errors)
    {
        void Error(string path, string message, string? hint) => errors.Add(new ConfigError(path, message, where.Find(path), hint));

        var serviceNames = config.Services.Select(s => s.Name).ToList();
        foreach (var r in config.Routes)
        {
            if (r.Aggregate is not { } aggregate) continue;
            var rp = r.ConfigPath;
            if (r.Service is not null || r.Split is not null)
                Error(rp, $"the route has both '{(r.Service is not null ? "service" : "split")}' and 'aggregate'", "keep one: an aggregate's parts name their services");
            if (r.Rewrite is not null)
                Error($"{rp}.rewrite", "'rewrite' does not apply to an aggregate route", "each part has its own path");
            foreach (var part in aggregate.Parts.Where(p => p.Service.Length > 0 && !serviceNames.Contains(p.Service)))
                Error($"{rp}.aggregate.parts.{part.Name}.service", $"unknown service '{part.Service}'", Suggest.DidYouMean(part.Service, serviceNames));
            if (!PathTemplate.TryParse(r.Match.Path, out var template, out _)) continue;
            AggregationPlan.Compile(aggregate, rp, template!.Parameters, Error);
        }
    }
}

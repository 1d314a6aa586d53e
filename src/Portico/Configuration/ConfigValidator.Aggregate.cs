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
            if (AggregationPlan.Compile(aggregate, rp, template!.Parameters, Error) is { } plan
                && r.Cache is { } cache && config.CachePolicies?.FirstOrDefault(c => c.Name == cache) is { } policy)
                CheckCacheKeyCoversClientInput(plan, rp, policy, Error);
        }
    }

    /// A cached aggregate whose parts read the client's query or headers must have them in its cache key, or one
    /// client's answer would be served to another who sent different values.
    static void CheckCacheKeyCoversClientInput(AggregationPlan plan, string routePath, CachePolicyDefinition policy, Action<string, string, string?> error)
    {
        foreach (var part in plan.Parts)
        {
            var pp = $"{routePath}.aggregate.parts.{part.Name}";
            var templates = part.Query.Select(q => ($"{pp}.query.{q.Name}", q.Value)).Concat(part.Headers.Select(h => ($"{pp}.headers.{h.Name}", h.Value)));
            foreach (var (at, template) in templates)
            {
                foreach (var reference in template.References)
                {
                    // Headers are in the key only when listed in vary; query parameters unless the policy lists which.
                    var (keyList, covered) = reference.Source switch
                    {
                        ReferenceSource.Header => ("vary", policy.Vary.Contains(reference.Name, StringComparer.OrdinalIgnoreCase)),
                        ReferenceSource.Query => ("query", policy.Query?.Contains(reference.Name, StringComparer.Ordinal) ?? true),
                        _ => ("", true),
                    };
                    if (!covered)
                        error(at, $"'{{{reference.Text}}}' is not in the key of cache policy '{policy.Name}'",
                            $"add {reference.Name} to cachePolicies.{policy.Name}.{keyList}, or answers made for one client's {reference.Name} would be served to others");
                }
            }
        }
    }
}

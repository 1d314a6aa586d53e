using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Runtime;

namespace Portico.Aggregation;

/// `aggregate:` routes: named calls to services (in parallel where they do not depend on each other) whose
/// results make one JSON document.
internal sealed class AggregateKind : RouteKind
{
    public const string Name = "aggregate";

    static readonly Dictionary<string, AggregateShape> Shapes = new(StringComparer.Ordinal)
    {
        ["nested"] = AggregateShape.Nested,
        ["merged"] = AggregateShape.Merged,
    };

    public override string Key => Name;

    public override void AddServices(IServiceCollection services)
    {
        services.AddSingleton<PartCaller>();
        services.AddSingleton<AggregateHandler>();
    }

    public override RouteKindSection? BindRoute(MappingReader route, ConfigNode? section, List<ConfigError> errors)
    {
        var a = new MappingReader(section, errors, "an aggregate");
        if (!a.Exists) return null;
        var parts = new List<AggregatePartDefinition>();
        if (!a.Has("parts")) a.Missing("parts", "name the calls, e.g. parts: { user: { service: users, path: \"/users/{id}\" } }");
        foreach (var (key, value) in a.Entries("parts"))
        {
            var p = new MappingReader(value, errors, $"aggregate part '{key.Value}'");
            if (!p.Exists) continue;
            var service = p.String("service", required: true, hint: "the service this part calls, e.g. service: users");
            var path = p.String("path", required: true, hint: "the path to call, e.g. path: \"/users/{id}\"");
            parts.Add(new AggregatePartDefinition(
                key.Value!,
                service ?? "",
                (p.String("method") ?? "GET").ToUpperInvariant(),
                path ?? "/",
                Pairs(p, "query"),
                Pairs(p, "headers"),
                p.Bool("body") ?? false,
                p.Bool("optional") ?? false,
                p.Duration("timeout"),
                p.String("forEach"),
                p.Int("concurrency", 1, 1000) ?? AggregatePartDefinition.DefaultConcurrency,
                p.Int("maxItems", 1, 100_000) ?? AggregatePartDefinition.DefaultMaxItems,
                p.StringList("select"),
                Pairs(p, "rename")));
            p.Done();
        }
        var result = new AggregateDefinition(parts, a.Enum("shape", Shapes) ?? AggregateShape.Nested, a.Duration("deadline"),
            a.Size("maxResponseSize") ?? AggregateDefinition.DefaultMaxResponseSize);
        a.Done();
        return result;

        static List<KeyValuePair<string, string>> Pairs(MappingReader r, string key) =>
            r.Entries(key).Select(e => new KeyValuePair<string, string>(e.Key.Value!, (e.Value as ConfigScalar)?.Value ?? "")).ToList();
    }

    /// One kind of target only, known services that answer HTTP, and a plan that compiles (references, cycles).
    public override RouteKindSection? Compile(RouteKindSection section, RouteCheck check)
    {
        var aggregate = (AggregateDefinition)section;
        var r = check.Route;
        var rp = check.At;
        if (r.Service is not null || r.Split is not null)
            check.Error(rp, $"the route has both '{(r.Service is not null ? "service" : "split")}' and 'aggregate'", "keep one: an aggregate's parts name their services");
        if (r.Rewrite is not null)
            check.Error($"{rp}.rewrite", "'rewrite' does not apply to an aggregate route", "each part has its own path");
        foreach (var part in aggregate.Parts.Where(p => p.Service.Length > 0))
        {
            if (check.FindService(part.Service) is not { } service)
                check.Error($"{rp}.aggregate.parts.{part.Name}.service", $"unknown service '{part.Service}'", Suggest.DidYouMean(part.Service, check.ServiceNames));
            else if (check.Kinds.ForProtocol(service.Protocol) is { ServicesAnswerHttp: false })
                check.Error($"{rp}.aggregate.parts.{part.Name}.service", $"service '{service.Name}' does not answer HTTP ({service.Protocol}): an aggregate part makes HTTP calls", "name an HTTP service");
        }
        if (check.Template is not { } template) return null;
        var plan = AggregationPlan.Compile(aggregate, rp, template.Parameters, check.Error);
        if (plan is null) return null;
        if (r.Cache is { } cache && check.Config.CachePolicies?.FirstOrDefault(c => c.Name == cache) is { } policy)
            CheckCacheKeyCoversClientInput(plan, rp, policy, check.Error);
        return aggregate with { Plan = plan };
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

    /// The plan's part services and time limits for one gateway. The part services are the route's services, so
    /// the route appears like any other in the snapshot.
    public override RouteHandler CreateHandler(RouteHandlerContext context)
    {
        var definition = (AggregateDefinition)context.Section;
        var plan = definition.Plan!;
        var partServices = plan.Parts.Select(p => context.Services[p.Definition.Service]).ToArray();
        var timeouts = plan.Parts.Select(p => p.Definition.Timeout ?? partServices[p.Index].Definition.Timeout).ToArray();
        var deadline = definition.Deadline ?? context.Route.Timeout ?? context.Gateway.Timeout ?? TimeSpan.FromSeconds(30);
        return new AggregateRoute(context.Get<AggregateHandler>(), plan, partServices, timeouts, deadline, context.RequestHeaders, context.ResponseHeaders, context.IdentityHeaders);
    }
}

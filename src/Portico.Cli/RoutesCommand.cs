using System.CommandLine;
using Portico.Configuration;
using Portico.Hosting;
using Portico.Routing;

namespace Portico.Cli;

/// `portico routes -c FILE`: the routes of each gateway in the order they are tried.
internal static class RoutesCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var command = new Command("routes", "List each gateway's routes in precedence order.") { config };
        command.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(config);
            var result = ConfigLoader.LoadFile(file.FullName);
            if (!result.Success)
            {
                foreach (var error in result.Errors) parse.InvocationConfiguration.Error.WriteLine("  " + error);
                return 1;
            }
            foreach (var (gateway, routes) in RoutePrecedence.ByGateway(result.Config!))
            {
                parse.InvocationConfiguration.Output.WriteLine($"gateway {gateway.Name} ({string.Join(", ", gateway.Listen)})");
                var n = 1;
                foreach (var r in routes)
                {
                    var target = r.Kind?.Describe(r) ?? r.Service ?? "";
                    var methods = r.Match.Methods.Count == 0 ? "*" : string.Join(",", r.Match.Methods);
                    var extra = string.Join(" ", r.Match.Headers.Select(h => $"header {h.Name}={string.Join("|", h.Values)}")
                        .Concat(r.Match.Query.Select(q => $"query {q.Name}={string.Join("|", q.Values)}"))
                        .Concat(r.Match.Accept.Select(a => $"accept {a}"))
                        .Concat(r.Match.Hosts.Select(h => $"host {h}"))
                        .Concat(AuthOf(r, gateway)));
                    parse.InvocationConfiguration.Output.WriteLine($"  {n++,3}. {r.Name,-24} {methods,-8} {r.Match.Path,-32} → {target}{(r.Rewrite is null ? "" : $" ({r.Rewrite})")} {extra}".TrimEnd());
                }
            }
            return 0;
        });
        return command;
    }

    static IEnumerable<string> AuthOf(RouteDefinition route, GatewayDefinition gateway)
    {
        var schemes = route.SchemesOn(gateway);
        if (schemes.Count > 0) yield return $"auth {string.Join("|", schemes)}";
        if (route.Scopes is { Count: > 0 } scopes) yield return $"scopes {string.Join(",", scopes)}";
    }
}

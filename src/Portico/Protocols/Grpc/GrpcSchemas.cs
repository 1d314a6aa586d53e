using Portico.Configuration;

namespace Portico.Protocols.Grpc;

/// Loads the .proto files of `protocol: grpc` services, expands annotated routes and binds the routes that call
/// gRPC methods to them (method exists, is unary or server-streaming, fields exist).
internal static class GrpcSchemas
{
    /// Parses the services' .proto files and expands `annotations: true` routes into one route per
    /// google.api.http binding, before the routes are validated.
    public static PorticoConfig Load(PorticoConfig config, ConfigSourceMap sources, string? directory, List<ConfigError> errors)
    {
        var services = config.Services.ToList();
        for (var i = 0; i < services.Count; i++)
        {
            if (directory is null || services[i].ProtocolSection is not GrpcServiceDefinition { Protos.Count: > 0 } grpc) continue;
            var path = $"services.{services[i].Name}.proto";
            var problems = new List<GrpcSchema.LoadError>();
            var schema = GrpcSchema.Load(grpc.Protos, directory, problems);
            foreach (var p in problems)
            {
                var where = p.Line > 0 ? $"{p.File}:{p.Line}:{p.Column}: " : "";
                errors.Add(new ConfigError(path, where + p.Message, sources.Find(path), $"paths are relative to the config file's folder ({directory})"));
            }
            services[i] = services[i] with { ProtocolSection = grpc with { BaseDirectory = directory, Schema = schema } };
        }
        config = config with { Services = services };
        return ExpandAnnotations(config, sources, errors);
    }

    /// Binds a route's method to the service's .proto (method exists and is unary or server-streaming; body,
    /// response field and path variables name fields the messages have); null when it does not bind.
    public static GrpcBinding? Bind(GrpcRouteDefinition grpc, GrpcSchema schema, RouteCheck check)
    {
        var methodPath = $"{check.At}.grpc.method";
        if (!schema.Methods.TryGetValue(grpc.Method.TrimStart('/'), out var method))
        {
            check.Error(methodPath, $"unknown gRPC method '{grpc.Method}' in service '{check.Route.Service}'",
                Suggest.DidYouMean(grpc.Method, schema.Methods.Keys) ?? $"methods: {string.Join(", ", schema.Methods.Keys.Order(StringComparer.Ordinal))}");
            return null;
        }
        var bound = true;
        if (method.ClientStreaming)
        {
            check.Error(methodPath, $"'{method.FullName}' is {(method.ServerStreaming ? "bidirectional" : "client")}-streaming, which a REST route cannot call", "routes call unary and server-streaming methods");
            bound = false;
        }
        return CheckBindings(grpc, method, check) && bound ? new GrpcBinding(method, grpc) : null;
    }

    /// One route per google.api.http binding of the service's methods, in place of each `annotations: true`
    /// route; they share its gateways, conditions and policies. A route that cannot be expanded (unknown or
    /// non-gRPC service, .proto not loaded) stays, its match.path made valid, for the other checks to report on.
    static PorticoConfig ExpandAnnotations(PorticoConfig config, ConfigSourceMap sources, List<ConfigError> errors)
    {
        if (!config.Routes.Any(r => r.Kind is GrpcRouteDefinition { Annotations: true })) return config;
        var byName = config.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var routes = new List<RouteDefinition>();
        foreach (var route in config.Routes)
        {
            if (route.Kind is not GrpcRouteDefinition { Annotations: true })
            {
                routes.Add(route);
                continue;
            }
            var rp = route.ConfigPath;
            var prefix = route.Match.Path.TrimEnd('/');
            var valid = true;
            void Error(string path, string message, string hint)
            {
                errors.Add(new ConfigError(path, message, sources.Find(path), hint));
                valid = false;
            }
            if (prefix.Length > 0 && (!prefix.StartsWith('/') || prefix.IndexOfAny(['{', '}', '*', '?', '#']) >= 0))
                Error($"{rp}.match.path", $"'{route.Match.Path}' is not a path prefix", "on an 'annotations: true' route match.path is a literal prefix put before every annotated path, e.g. path: /api");
            if (route.Match.Methods.Count > 0)
                Error($"{rp}.match.methods", "an 'annotations: true' route takes each binding's HTTP method from the .proto", "remove match.methods");
            if (route.Rewrite is not null)
                Error($"{rp}.rewrite", "'rewrite' does not apply to a gRPC route", "remove it: the method is called directly");
            var schema = route.Service is { } name && byName.TryGetValue(name, out var service) ? (service.ProtocolSection as GrpcServiceDefinition)?.Schema : null;
            if (schema is null || !valid)
            {
                routes.Add(route with { Match = route.Match with { Path = valid && prefix.Length > 0 ? prefix : "/" } });
                continue;
            }
            var annotated = schema.Methods.Values.Where(m => m.HttpRules.Count > 0 && !m.ClientStreaming)
                .OrderBy(m => m.FullName, StringComparer.Ordinal).ToList();
            if (annotated.Count == 0)
            {
                Error($"{rp}.grpc.annotations", $"no unary or server-streaming method of service '{route.Service}' has a google.api.http annotation",
                    "annotate methods with option (google.api.http) = { get: \"/v1/items/{sku}\" }, or name one method: grpc: { method: package.Service/Method }");
                continue;
            }
            // Route names are `<route>.<Method>`; `<route>.<Service>.<Method>` when two services share a method name.
            var qualify = annotated.GroupBy(m => m.Name, StringComparer.Ordinal).Any(g => g.Count() > 1);
            foreach (var method in annotated)
            {
                var baseName = qualify ? $"{route.Name}.{method.Service[(method.Service.LastIndexOf('.') + 1)..]}.{method.Name}" : $"{route.Name}.{method.Name}";
                for (var k = 0; k < method.HttpRules.Count; k++)
                {
                    var rule = method.HttpRules[k];
                    if (!HttpRuleTemplate.TryConvert(rule.Path, out var converted, out var templateError))
                    {
                        Error($"{rp}.grpc.annotations", $"{method.FullName}: google.api.http path '{rule.Path}': {templateError}", "see the path template syntax in google/api/http.proto");
                        continue;
                    }
                    routes.Add(route with
                    {
                        Name = method.HttpRules.Count > 1 ? $"{baseName}.{k + 1}" : baseName,
                        Match = route.Match with { Path = prefix + converted!.RoutePattern, Methods = [rule.Verb] },
                        Kind = new GrpcRouteDefinition(method.FullName, rule.Body, rule.ResponseBody.Length > 0 ? rule.ResponseBody : null) { PathVariables = converted.Variables, Rule = rule },
                    });
                }
            }
        }
        return config with { Routes = routes };
    }

    /// The body field, response field and path variables of a route name fields the messages have.
    static bool CheckBindings(GrpcRouteDefinition grpc, MethodPlan method, RouteCheck check)
    {
        var at = $"{check.At}.grpc";
        var ok = true;
        // Problems of a route made from an annotation are the annotation's: say which one.
        var rule = grpc.Rule is { } r ? $"{method.FullName} ({r}): " : "";
        void Error(string key, string message, string hint)
        {
            check.Error(grpc.Rule is null ? $"{at}.{key}" : $"{at}.annotations", rule + message, hint);
            ok = false;
        }
        if (grpc.Body is { Length: > 0 } body && body != "*" && !method.Input.ByName.ContainsKey(body))
            Error("body", $"the request message {method.Input.FullName} has no field '{body}'", Fields(method.Input));
        if (grpc.ResponseBody is { } responseBody && !method.Output.ByName.ContainsKey(responseBody))
            Error("responseBody", $"the answer message {method.Output.FullName} has no field '{responseBody}'", Fields(method.Output));
        foreach (var variable in grpc.PathVariables)
        {
            if (PathFieldProblem(method.Input, variable.FieldPath) is { } problem)
                Error("annotations", $"path variable '{variable.FieldPath}': {problem}", Fields(method.Input));
        }
        return ok;

        static string Fields(MessagePlan message) => $"fields: {string.Join(", ", message.Fields.Select(f => f.Name))}";
    }

    /// Why a dotted field path cannot take a value from the URL path, or null when it can: each step a
    /// singular message field, the last a singular scalar or enum.
    internal static string? PathFieldProblem(MessagePlan message, string fieldPath)
    {
        var names = fieldPath.Split('.');
        for (var i = 0; i < names.Length; i++)
        {
            if (!message.ByName.TryGetValue(names[i], out var field)) return $"{message.FullName} has no field '{names[i]}'";
            if (field.Repeated) return $"'{names[i]}' is repeated";
            if (i == names.Length - 1)
                return field.Type is ProtoType.Message or ProtoType.Group && field.Message!.WellKnown != WellKnownType.Wrapper ? $"'{names[i]}' is a message, not a value" : null;
            if (field.Message is not { WellKnown: WellKnownType.None } next) return $"'{names[i]}' is not a message with fields";
            message = next;
        }
        return null;
    }
}

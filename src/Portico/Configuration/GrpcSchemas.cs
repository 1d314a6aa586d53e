using Portico.Protocols.Grpc;

namespace Portico.Configuration;

/// Loads the .proto files of `protocol: grpc` services and checks the routes that call them (method exists,
/// is unary or server-streaming, the service speaks gRPC).
internal static class GrpcSchemas
{
    /// Parses the services' .proto files and expands `annotations: true` routes into one route per
    /// google.api.http binding, before the routes are validated.
    public static PorticoConfig Load(PorticoConfig config, ConfigSourceMap sources, string? directory, List<ConfigError> errors)
    {
        var services = config.Services.ToList();
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].Protocol == ServiceProtocol.Grpc)
            {
                // These speak HTTP/1.1 to the service or act on HTTP statuses; a gRPC service gets its deadline and passive health.
                foreach (var key in new[] { services[i].Health is null ? null : "health", services[i].Retry is null ? null : "retry", services[i].CircuitBreaker is null ? null : "circuitBreaker" }.OfType<string>())
                {
                    var keyPath = $"services.{services[i].Name}.{key}";
                    errors.Add(new ConfigError(keyPath, $"'{key}' does not apply to a gRPC service", sources.Find(keyPath), "remove it: gRPC calls use the timeout as deadline and passive health"));
                }
            }
            if (directory is null || services[i].Grpc is not { Protos.Count: > 0 } grpc) continue;
            var path = $"services.{services[i].Name}.proto";
            var problems = new List<GrpcSchema.LoadError>();
            var schema = GrpcSchema.Load(grpc.Protos, directory, problems);
            foreach (var p in problems)
            {
                var where = p.Line > 0 ? $"{p.File}:{p.Line}:{p.Column}: " : "";
                errors.Add(new ConfigError(path, where + p.Message, sources.Find(path), $"paths are relative to the config file's folder ({directory})"));
            }
            services[i] = services[i] with { Grpc = grpc with { BaseDirectory = directory, Schema = schema } };
        }
        config = config with { Services = services };
        return ExpandAnnotations(config, sources, errors);
    }

    /// Checks the routes that call gRPC methods (method exists and is unary or server-streaming, the service
    /// speaks gRPC, body / responseBody / path fields exist), after validation.
    public static void CheckRoutes(PorticoConfig config, ConfigSourceMap sources, List<ConfigError> errors)
    {
        var services = config.Services;
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var route in config.Routes)
        {
            var service = route.Service is { } name && byName.TryGetValue(name, out var s) ? s : null;
            var at = $"{route.ConfigPath}.grpc";
            if (route.Grpc is null)
            {
                if (service?.Protocol == ServiceProtocol.Grpc)
                    errors.Add(new ConfigError(route.ConfigPath, $"service '{service.Name}' speaks gRPC: the route must name a method", sources.Find(route.ConfigPath), "add grpc: { method: package.Service/Method }"));
                continue;
            }
            if (route.Service is null)
            {
                errors.Add(new ConfigError(at, "a gRPC route needs one 'service' (no split or aggregate)", sources.Find(at), "add service: <a protocol: grpc service>"));
                continue;
            }
            if (service is null) continue; // unknown service: reported by the validator
            if (service.Protocol != ServiceProtocol.Grpc)
            {
                errors.Add(new ConfigError(at, $"service '{service.Name}' is not a gRPC service", sources.Find(at), $"add protocol: grpc and proto: <file> to service '{service.Name}'"));
                continue;
            }
            if (service.Grpc?.Schema is not { } schema || route.Grpc.Annotations) continue;
            var methodPath = $"{at}.method";
            if (!schema.Methods.TryGetValue(route.Grpc.Method.TrimStart('/'), out var method))
            {
                errors.Add(new ConfigError(methodPath, $"unknown gRPC method '{route.Grpc.Method}' in service '{service.Name}'", sources.Find(methodPath),
                    Suggest.DidYouMean(route.Grpc.Method, schema.Methods.Keys) ?? $"methods: {string.Join(", ", schema.Methods.Keys.Order(StringComparer.Ordinal))}"));
                continue;
            }
            if (method.ClientStreaming)
                errors.Add(new ConfigError(methodPath, $"'{method.FullName}' is {(method.ServerStreaming ? "bidirectional" : "client")}-streaming, which a REST route cannot call", sources.Find(methodPath),
                    "routes call unary and server-streaming methods"));
            CheckBindings(route, method, sources, errors);
        }
    }

    /// One route per google.api.http binding of the service's methods, in place of each `annotations: true`
    /// route; they share its gateways, conditions and policies. A route that cannot be expanded (unknown or
    /// non-gRPC service, .proto not loaded) stays, its match.path made valid, for the other checks to report on.
    static PorticoConfig ExpandAnnotations(PorticoConfig config, ConfigSourceMap sources, List<ConfigError> errors)
    {
        if (!config.Routes.Any(r => r.Grpc is { Annotations: true })) return config;
        var byName = config.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var routes = new List<RouteDefinition>();
        foreach (var route in config.Routes)
        {
            if (route.Grpc is not { Annotations: true })
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
            var schema = route.Service is { } name && byName.TryGetValue(name, out var service) && service.Protocol == ServiceProtocol.Grpc ? service.Grpc?.Schema : null;
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
                        Grpc = new GrpcRouteDefinition(method.FullName, rule.Body, rule.ResponseBody.Length > 0 ? rule.ResponseBody : null) { PathVariables = converted.Variables, Rule = rule },
                    });
                }
            }
        }
        return config with { Routes = routes };
    }

    /// The body field, response field and path variables of a route name fields the messages have.
    static void CheckBindings(RouteDefinition route, MethodPlan method, ConfigSourceMap sources, List<ConfigError> errors)
    {
        var grpc = route.Grpc!;
        var at = $"{route.ConfigPath}.grpc";
        // Problems of a route made from an annotation are the annotation's: say which one.
        var rule = grpc.Rule is { } r ? $"{method.FullName} ({r}): " : "";
        void Error(string key, string message, string hint)
        {
            var path = grpc.Rule is null ? $"{at}.{key}" : $"{at}.annotations";
            errors.Add(new ConfigError(path, rule + message, sources.Find(path), hint));
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

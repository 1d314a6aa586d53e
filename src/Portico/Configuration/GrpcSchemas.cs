using Portico.Protocols.Grpc;

namespace Portico.Configuration;

/// Loads the .proto files of `protocol: grpc` services and checks the routes that call them (method exists,
/// is unary or server-streaming, the service speaks gRPC).
internal static class GrpcSchemas
{
    public static PorticoConfig Attach(PorticoConfig config, ConfigSourceMap sources, string? directory, List<ConfigError> errors)
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
            if (service.Grpc?.Schema is not { } schema) continue;
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
        }
        return config with { Services = services };
    }
}

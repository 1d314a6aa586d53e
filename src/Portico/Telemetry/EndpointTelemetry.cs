namespace Portico.Telemetry;

/// Endpoint metadata: the gateway and route a Portico endpoint serves, as ready-made metric tags (route *names*:
/// the config bounds their number, a raw path would not be).
internal sealed class EndpointTelemetry(string gateway, string route, RouteActivity activity)
{
    public string Gateway { get; } = gateway;
    public RouteActivity Activity { get; } = activity;
    public string Route { get; } = route;
    public KeyValuePair<string, object?> GatewayTag { get; } = new(TagNames.Gateway, gateway);
    public KeyValuePair<string, object?> RouteTag { get; } = new(TagNames.Route, route);
}

/// Attribute names Portico adds (its own under `portico.`, the rest after the OpenTelemetry semantic conventions).
internal static class TagNames
{
    public const string Gateway = "portico.gateway";
    public const string Route = "portico.route";
    public const string Service = "portico.service";
    public const string UpstreamKind = "portico.upstream.kind";
    public const string Outcome = "portico.outcome";
    public const string Method = "http.request.method";
    public const string Status = "http.response.status_code";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";

    /// An HTTP method as a bounded attribute value: the standard ones as they are, anything else `_OTHER`
    /// (a route without a method list takes any token a client sends).
    public static string MethodValue(string method) => method switch
    {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "_OTHER",
    };
}

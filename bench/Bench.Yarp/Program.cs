// Bare YARP, the reference every Portico figure is compared with: YARP's own route pipeline with one catch-all
// route to one destination, declared in code, on the Web SDK's defaults (Server GC). Logging is at Warning:
// at Information YARP writes two lines per request, and the comparison is about forwarding, not logging.
//   --listen 127.0.0.1:8082   --backend http://127.0.0.1:5001/
using Yarp.ReverseProxy.Configuration;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseUrls("http://" + (builder.Configuration["listen"] ?? "127.0.0.1:8082"));
var backend = builder.Configuration["backend"] ?? "http://127.0.0.1:5001/";

RouteConfig[] routes = [new() { RouteId = "all", ClusterId = "backend", Match = new RouteMatch { Path = "{**rest}" } }];
ClusterConfig[] clusters =
[
    new()
    {
        ClusterId = "backend",
        Destinations = new Dictionary<string, DestinationConfig> { ["one"] = new() { Address = backend } },
    },
];
builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);

var app = builder.Build();
app.MapReverseProxy();
app.Run();

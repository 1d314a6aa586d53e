using Portico.Hosting;

namespace Portico.Embedded;

/// An ASP.NET Core app with an endpoint of its own (<c>GET /tenants</c>) that embeds Portico: the routes in
/// portico.yaml, served on the gateway's listener, with a C# policy (<see cref="TenantCheck"/>) on the orders route.
public static class EmbeddedApp
{
    /// <paramref name="configPath"/>: the Portico config (default: portico.yaml beside the binary).
    public static WebApplication Create(string[] args, string? configPath = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddSingleton<TenantDirectory>();
        builder.Services.AddPortico(portico =>
        {
            portico.ConfigPath = configPath ?? Path.Combine(AppContext.BaseDirectory, "portico.yaml");
            portico.AddPolicy<TenantCheck>("tenant-check");
        });

        var app = builder.Build();
        app.MapGet("/tenants", (TenantDirectory tenants) => tenants.Names);
        app.MapPortico();
        return app;
    }
}

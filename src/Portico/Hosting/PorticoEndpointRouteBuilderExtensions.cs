using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portico.Auth;
using Portico.Caching;
using Portico.Compilation;
using Portico.Formats;
using Portico.Policies;
using Portico.RateLimiting;
using Portico.Runtime;

namespace Portico.Hosting;

/// <summary>Maps Portico's routes into an app's endpoints: <c>app.MapPortico()</c> after <c>builder.Services.AddPortico(…)</c>.</summary>
public static class PorticoEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Applies the config AddPortico loaded and adds Portico's routes (and their health and login endpoints) to
    /// <paramref name="endpoints"/>; reloads replace them in place. Each Portico endpoint runs the route policies
    /// itself (formats, auth, rate limits, cache, XML bodies), so nothing else in the app's pipeline is changed.
    /// </summary>
    public static IEndpointRouteBuilder MapPortico(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var setup = services.GetService<PorticoSetup>() ?? throw new InvalidOperationException("Call builder.Services.AddPortico(…) before app.MapPortico().");
        if (setup.Mapped) throw new InvalidOperationException("MapPortico was already called.");
        setup.Mapped = true;

        var policies = endpoints.CreateApplicationBuilder();
        // First, so the route's metrics count every answer, the policies' refusals too.
        policies.UseMiddleware<Telemetry.RequestMetricsMiddleware>();
        // Formats first, so the gateway's own problems (401, 429, …) reach XML clients as problem+xml.
        policies.UsePorticoFormats();
        policies.UsePorticoAuth();
        // After auth, so a route's C# policies know the caller; before rate limits, so a rejected request costs no quota.
        policies.UseMiddleware<RequestPoliciesMiddleware>();
        // After auth, so per-consumer limits see the caller's identity.
        policies.UsePorticoRateLimiting();
        // After rate limiting: a cached answer still counts against the caller's limit.
        policies.UsePorticoCaching();
        // Last: an XML body is read and converted only for a caller who got this far.
        policies.UsePorticoXmlRequests();
        policies.Run(PorticoHandler.InvokeAsync);
        services.GetRequiredService<SnapshotCompiler>().Policies = policies.Build();

        TelemetryServices.StartEarly(services);
        services.GetRequiredService<GatewayRuntime>().ApplyAsync(setup.Config).GetAwaiter().GetResult();
        endpoints.DataSources.Add(services.GetRequiredService<RuntimeHolder>());
        return endpoints;
    }
}

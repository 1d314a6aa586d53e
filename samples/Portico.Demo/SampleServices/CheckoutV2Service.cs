using Microsoft.AspNetCore.Builder;

namespace Portico.Demo.SampleServices;

/// `checkout-v2`: the rewritten checkout, taking a canary share of /api/checkout traffic from the monolith.
internal static class CheckoutV2Service
{
    public const string Name = "checkout-v2";
    public const int Port = 5301;

    public static WebApplication Create()
    {
        var app = SampleApp.CreateBuilder(Port).Build();
        SampleApp.MapHealth(app);
        app.Map("/api/checkout/{**rest}", (Microsoft.AspNetCore.Http.HttpContext context) => MonolithService.Served(Name, context.Request));
        return app;
    }
}

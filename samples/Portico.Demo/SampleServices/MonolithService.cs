using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.Demo.SampleServices;

/// `monolith`: the legacy application being strangled. It answers every method on every path, saying so.
internal static class MonolithService
{
    public const string Name = "monolith";
    public const int Port = 5100;

    public static WebApplication Create()
    {
        var app = SampleApp.CreateBuilder(Port).Build();
        app.Run(context => context.Response.WriteAsJsonAsync(Served(Name, context.Request), DemoJsonContext.Default.ServedReply));
        return app;
    }

    internal static ServedReply Served(string name, HttpRequest request) =>
        new(name, request.Method, request.Path.Value ?? "/", request.QueryString.HasValue ? request.QueryString.Value : null);
}

using Microsoft.AspNetCore.Builder;

namespace Portico.Formats;

public static class FormatsApplicationBuilderExtensions
{
    /// JSON ↔ XML negotiation for routes with `formats: [.., xml]`; after routing, so it sees the endpoint.
    public static IApplicationBuilder UsePorticoFormats(this IApplicationBuilder app) => app.UseMiddleware<FormatsMiddleware>();
}

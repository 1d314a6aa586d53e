using Microsoft.AspNetCore.Builder;

namespace Portico.Formats;

internal static class FormatsApplicationBuilderExtensions
{
    /// JSON ↔ XML negotiation for routes with `formats: [.., xml]`; after routing, so it sees the endpoint.
    /// Responses: in front of edge auth and rate limits, so their refusals reach XML clients as problem+xml too.
    public static IApplicationBuilder UsePorticoFormats(this IApplicationBuilder app) => app.UseMiddleware<FormatsMiddleware>();

    /// XML request bodies to JSON: after edge auth and rate limits, so refused callers' bodies are never parsed.
    public static IApplicationBuilder UsePorticoXmlRequests(this IApplicationBuilder app) => app.UseMiddleware<XmlRequestMiddleware>();
}

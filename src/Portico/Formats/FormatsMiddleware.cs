using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Portico.Problems;

namespace Portico.Formats;

/// Content negotiation for routes that serve XML, around everything after routing (edge auth, rate limits, the
/// handler, whatever its kind): a JSON response — the service's or the gateway's own problem — becomes XML for a
/// client that asked for it; an Accept that allows neither answers 406. XML request bodies are converted later, by
/// XmlRequestMiddleware, once the caller is known to be let in.
internal sealed partial class FormatsMiddleware(RequestDelegate next, ILogger<FormatsMiddleware> logger)
{
    // Routes without formats pass straight through: no async frame on the hot path.
    public Task InvokeAsync(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<FormatsMetadata>() is { } formats && !StreamsNdjson(context) ? NegotiateAsync(context, formats) : next(context);

    /// A streaming route (server-streaming gRPC) answers its stream to a client that asks for it, beside the formats it negotiates.
    internal static bool StreamsNdjson(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<StreamingAnswerMetadata>() is { } streaming
        && context.Request.Headers.Accept.Any(a => a is not null && a.Contains(streaming.MediaType, StringComparison.OrdinalIgnoreCase));

    async Task NegotiateAsync(HttpContext context, FormatsMetadata formats)
    {
        context.Response.Headers.Append(HeaderNames.Vary, HeaderNames.Accept);
        var format = FormatNegotiation.Choose(context.Request, formats);
        if (format == ResponseFormat.None)
        {
            await Problem.WriteAsync(context, StatusCodes.Status406NotAcceptable, Problem.Types.NotAcceptable, "Not Acceptable",
                formats.Json ? "This route answers application/json or application/xml." : "This route answers application/xml.").ConfigureAwait(false);
            return;
        }
        if (format == ResponseFormat.Json)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var original = context.Response.Body;
        var xml = new XmlResponseStream(original, context.Response, formats.Xml);
        context.Response.Body = xml;
        context.Response.OnStarting(static state =>
        {
            ((XmlResponseStream)state).Decide();
            return Task.CompletedTask;
        }, xml);
        try
        {
            await next(context).ConfigureAwait(false);
            await xml.CompleteAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            // The service said JSON but sent something else; the XML already sent cannot be taken back.
            LogBadJson(logger, context.GetEndpoint()?.DisplayName, ex.Message);
            context.Abort();
        }
        finally
        {
            context.Response.Body = original;
            await xml.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Endpoint {Endpoint}: the JSON response could not be converted to XML: {Reason}")]
    static partial void LogBadJson(ILogger logger, string? endpoint, string reason);
}

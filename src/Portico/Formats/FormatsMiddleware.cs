using System.Buffers;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Portico.Hosting;
using Portico.Problems;

namespace Portico.Formats;

/// Content negotiation for routes that serve XML, around whatever handler the route has (proxy, aggregate…):
/// an XML request body becomes JSON before the handler; a JSON response becomes XML for a client that asked
/// for it; an Accept that allows neither answers 406.
internal sealed partial class FormatsMiddleware(RequestDelegate next, ILogger<FormatsMiddleware> logger)
{
    // Routes without formats pass straight through: no async frame on the hot path.
    public Task InvokeAsync(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<FormatsMetadata>() is { } formats && !StreamsNdjson(context) ? NegotiateAsync(context, formats) : next(context);

    /// A server-streaming gRPC route answers NDJSON to a client that asks for it, beside the formats it negotiates.
    static bool StreamsNdjson(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<Proxy.ProxyRoute>()?.Grpc is { Plan.ServerStreaming: true }
        && context.Request.Headers.Accept.Any(a => a is not null && a.Contains(Protocols.Grpc.GrpcHandler.NdjsonType, StringComparison.OrdinalIgnoreCase));

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
        if (IsXml(context.Request.ContentType) && !await ConvertRequestAsync(context, formats.Xml, format).ConfigureAwait(false)) return;
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

    static bool IsXml(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (FormatNegotiation.Is(type.Type, "application") || FormatNegotiation.Is(type.Type, "text"))
        && (FormatNegotiation.Is(type.SubType, "xml") || FormatNegotiation.Is(type.Suffix, "xml"));

    /// Replaces an XML request body with its JSON; false when it answered an error instead.
    static async Task<bool> ConvertRequestAsync(HttpContext context, XmlFormatOptions options, ResponseFormat format)
    {
        var request = context.Request;
        using var body = await PooledBody.ReadAsync(request.Body, request.ContentLength, options.MaxBodySize, context.RequestAborted).ConfigureAwait(false);
        if (body.TooLarge)
        {
            await TooLargeAsync(context, options).ConfigureAwait(false);
            return false;
        }
        var json = new ArrayBufferWriter<byte>(body.Length + 64);
        try
        {
            using var stream = body.AsStream();
            using var reader = XmlReader.Create(stream, XmlToJsonConverter.ReaderSettings(options.MaxBodySize));
            using var writer = new Utf8JsonWriter(json, JsonText.WriterOptions);
            XmlToJsonConverter.Convert(reader, writer, options.MaxDepth);
        }
        catch (Exception ex) when (ex is XmlException or XmlBodyException or InvalidOperationException or ArgumentException)
        {
            var detail = ex switch
            {
                XmlBodyException => ex.Message,
                XmlException when DeclaresDtd(body.Span) =>
                    "The XML body has a document type declaration (<!DOCTYPE ...>); DTDs are not accepted, so it cannot declare entities. Send the document without it.",
                _ => $"The XML body could not be read: {ex.Message}",
            };
            await WriteProblemAsync(context, format, StatusCodes.Status400BadRequest, Problem.Types.BadXml, "Bad Request", detail).ConfigureAwait(false);
            return false;
        }
        request.Body = new MemoryStream(json.WrittenMemory.ToArray(), writable: false);
        request.ContentType = "application/json; charset=utf-8";
        request.ContentLength = json.WrittenCount;
        return true;
    }

    /// The reader's own message for a prohibited DTD tells how to enable DTD parsing on the server, which is no help to
    /// a client; a body that carries one is told so plainly.
    static bool DeclaresDtd(ReadOnlySpan<byte> body) => body.IndexOf("<!DOCTYPE"u8) >= 0;

    static Task TooLargeAsync(HttpContext context, XmlFormatOptions options) =>
        WriteProblemAsync(context, ResponseFormat.Json, StatusCodes.Status413PayloadTooLarge, Problem.Types.RequestTooLarge, "Content Too Large",
            $"The XML body is over the limit of {options.MaxBodySize} bytes.");

    /// Problems written before the response stream is wrapped still reach an XML client as problem+xml.
    static async Task WriteProblemAsync(HttpContext context, ResponseFormat format, int status, string type, string title, string detail)
    {
        if (format != ResponseFormat.Xml || context.GetEndpoint()?.Metadata.GetMetadata<FormatsMetadata>() is not { } formats)
        {
            await Problem.WriteAsync(context, status, type, title, detail).ConfigureAwait(false);
            return;
        }
        var original = context.Response.Body;
        await using var xml = new XmlResponseStream(original, context.Response, formats.Xml);
        context.Response.Body = xml;
        try
        {
            await Problem.WriteAsync(context, status, type, title, detail).ConfigureAwait(false);
            await xml.CompleteAsync(context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = original;
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Endpoint {Endpoint}: the JSON response could not be converted to XML: {Reason}")]
    static partial void LogBadJson(ILogger logger, string? endpoint, string reason);
}

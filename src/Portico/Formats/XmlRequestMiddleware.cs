using System.Buffers;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Portico.Hosting;
using Portico.Problems;

namespace Portico.Formats;

/// An XML request body on a route that serves XML becomes JSON for the JSON-speaking handler. It runs after edge auth
/// and rate limiting, so a caller who is refused never has its body read or parsed; problems it answers pass through
/// FormatsMiddleware's response conversion like any other, so an XML client gets them as problem+xml.
internal sealed class XmlRequestMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<FormatsMetadata>() is { } formats && IsXml(context.Request.ContentType) && !FormatsMiddleware.StreamsNdjson(context)
            ? ConvertAsync(context, formats.Xml)
            : next(context);

    static bool IsXml(string? contentType) =>
        contentType is not null
        && MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (FormatNegotiation.Is(type.Type, "application") || FormatNegotiation.Is(type.Type, "text"))
        && (FormatNegotiation.Is(type.SubType, "xml") || FormatNegotiation.Is(type.Suffix, "xml"));

    async Task ConvertAsync(HttpContext context, XmlFormatOptions options)
    {
        var request = context.Request;
        byte[] json;
        using (var body = await PooledBody.ReadAsync(request.Body, request.ContentLength, options.MaxBodySize, context.RequestAborted).ConfigureAwait(false))
        {
            if (body.TooLarge)
            {
                await Problem.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Problem.Types.RequestTooLarge, "Content Too Large",
                    $"The XML body is over the limit of {options.MaxBodySize} bytes.").ConfigureAwait(false);
                return;
            }
            var written = new ArrayBufferWriter<byte>(body.Length + 64);
            try
            {
                using var stream = body.AsStream();
                using var reader = XmlReader.Create(stream, XmlToJsonConverter.ReaderSettings(options.MaxBodySize));
                using var writer = new Utf8JsonWriter(written, JsonText.WriterOptions);
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
                await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadXml, "Bad Request", detail).ConfigureAwait(false);
                return;
            }
            json = written.WrittenSpan.ToArray();
        }
        request.Body = new MemoryStream(json, writable: false);
        request.ContentType = "application/json; charset=utf-8";
        request.ContentLength = json.Length;
        await next(context).ConfigureAwait(false);
    }

    /// The reader's own message for a prohibited DTD tells how to enable DTD parsing on the server, which is no help to
    /// a client; a body that carries one is told so plainly.
    static bool DeclaresDtd(ReadOnlySpan<byte> body) => body.IndexOf("<!DOCTYPE"u8) >= 0;
}

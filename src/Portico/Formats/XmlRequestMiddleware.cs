using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Portico.Http;
using Portico.Problems;

namespace Portico.Formats;

/// An XML request body on a route that serves XML becomes JSON for the JSON-speaking handler. It runs after edge auth
/// and rate limiting, so a caller who is refused never has its body read or parsed; problems it answers pass through
/// FormatsMiddleware's response conversion like any other, so an XML client gets them as problem+xml.
internal sealed class XmlRequestMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<FormatsMetadata>() is { } formats && XmlType(context.Request.ContentType) is { } type && !FormatsMiddleware.StreamsNdjson(context)
            ? ConvertAsync(context, formats.Xml, type)
            : next(context);

    /// The parsed Content-Type when it is XML (application/xml, text/xml, anything+xml), else null.
    static MediaTypeHeaderValue? XmlType(string? contentType) =>
        contentType is not null
        && MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (FormatNegotiation.Is(type.Type, "application") || FormatNegotiation.Is(type.Type, "text"))
        && (FormatNegotiation.Is(type.SubType, "xml") || FormatNegotiation.Is(type.Suffix, "xml"))
            ? type
            : null;

    async Task ConvertAsync(HttpContext context, XmlFormatOptions options, MediaTypeHeaderValue type)
    {
        var request = context.Request;
        var charset = HeaderUtilities.RemoveQuotes(type.Charset).Value;
        if (!TryDeclaredEncoding(charset, out var encoding))
        {
            await Problem.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, Problem.Types.UnsupportedMediaType, "Unsupported Media Type",
                $"The charset '{charset}' of the XML body is not one the gateway reads; send it as UTF-8.").ConfigureAwait(false);
            return;
        }
        ArrayBufferWriter<byte> json;
        var share = BufferedBodyBudget.For(context);
        using (var body = await PooledBody.ReadAsync(request.Body, request.ContentLength, options.MaxBodySize, context.RequestAborted, share: share).ConfigureAwait(false))
        {
            if (body.OverBudget)
            {
                await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.Overloaded, "Service Unavailable",
                    "The gateway is buffering as many bodies as it may hold; retry shortly.", retryAfter: BufferedBodyBudget.RetryAfter).ConfigureAwait(false);
                return;
            }
            if (body.TooLarge)
            {
                await Problem.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Problem.Types.RequestTooLarge, "Content Too Large",
                    $"The XML body is over the limit of {options.MaxBodySize} bytes.").ConfigureAwait(false);
                return;
            }
            json = new ArrayBufferWriter<byte>(body.Length + 64);
            try
            {
                using var stream = body.AsStream();
                // A charset in Content-Type outranks the document's own encoding declaration (RFC 7303 §3);
                // without one the reader goes by the byte order mark or the declaration, UTF-8 by default.
                using var text = encoding is null ? null : new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true);
                using var reader = text is null
                    ? XmlReader.Create(stream, XmlToJsonConverter.ReaderSettings(options.MaxBodySize))
                    : XmlReader.Create(text, XmlToJsonConverter.ReaderSettings(options.MaxBodySize));
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
                await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadXml, "Bad Request", detail).ConfigureAwait(false);
                return;
            }
        }
        // The writer's own array becomes the body: no copy of the converted JSON.
        var converted = MemoryMarshal.TryGetArray(json.WrittenMemory, out var segment) ? segment : new ArraySegment<byte>(json.WrittenSpan.ToArray());
        // The converted body lives as long as the request: counted, so that new requests wait until it is done.
        share?.Take(converted.Array!.Length);
        request.Body = new MemoryStream(converted.Array!, converted.Offset, converted.Count, writable: false);
        request.ContentType = "application/json; charset=utf-8";
        request.ContentLength = converted.Count;
        await next(context).ConfigureAwait(false);
    }

    /// The encoding a Content-Type charset names, strict (bytes it cannot decode are an error, not U+FFFD); null when
    /// there is no charset or it is UTF-8, which the reader handles itself. False for a charset no encoding answers to.
    static bool TryDeclaredEncoding(string? charset, out Encoding? encoding)
    {
        encoding = null;
        if (string.IsNullOrWhiteSpace(charset) || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        try
        {
            encoding = CodePagesEncodingProvider.Instance.GetEncoding(charset, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
                ?? Encoding.GetEncoding(charset, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// The reader's own message for a prohibited DTD tells how to enable DTD parsing on the server, which is no help to
    /// a client; a body that carries one is told so plainly.
    static bool DeclaresDtd(ReadOnlySpan<byte> body) => body.IndexOf("<!DOCTYPE"u8) >= 0;
}

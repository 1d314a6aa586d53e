using System.Buffers;
using System.Text;
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
        if (!TryDeclaredEncoding(request.ContentType, out var encoding, out var charset))
        {
            await Problem.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, Problem.Types.UnsupportedMediaType, "Unsupported Media Type",
                $"The charset '{charset}' of the XML body is not one the gateway reads; send it as UTF-8.").ConfigureAwait(false);
            return;
        }
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
                // A charset in Content-Type outranks the document's own encoding declaration (RFC 7303 §3);
                // without one the reader goes by the byte order mark or the declaration, UTF-8 by default.
                using var text = encoding is null ? null : new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true);
                using var reader = text is null
                    ? XmlReader.Create(stream, XmlToJsonConverter.ReaderSettings(options.MaxBodySize))
                    : XmlReader.Create(text, XmlToJsonConverter.ReaderSettings(options.MaxBodySize));
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

    /// The encoding a Content-Type charset names, strict (bytes it cannot decode are an error, not U+FFFD); null when
    /// there is no charset or it is UTF-8, which the reader handles itself. False for a charset no encoding answers to.
    static bool TryDeclaredEncoding(string? contentType, out Encoding? encoding, out string? charset)
    {
        encoding = null;
        charset = MediaTypeHeaderValue.TryParse(contentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Charset).Value : null;
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

using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Portico.Formats;

/// Replaces the response body of a request that asked for XML. Whether to convert is decided when the response
/// starts (first write or headers sent): a JSON body (application/json, any +json type) is transcoded chunk by
/// chunk into XML; anything else, or a content-encoded body, passes through untouched. A JSON body of a declared
/// length is all on its way: its XML is held until <see cref="HeldBytes"/> of it are waiting, the handler flushes,
/// or the body ends, so a body whose XML fits goes out whole, in one write with a Content-Length, and a longer one
/// in chunks of about that size. A body of no declared length may be a stream that pauses: its XML goes out as
/// each piece of JSON comes.
internal sealed class XmlResponseStream : Http.ResponseBodyStream
{
    internal const int HeldBytes = 128 * 1024;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "The response body the server owns; this stream only writes to it")]
    readonly Stream _inner;
    readonly HttpResponse _response;
    readonly XmlFormatOptions _options;
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "Rented: Dispose returns it to the pool (JsonToXmlTranscoder.Return) instead of disposing it")]
    JsonToXmlTranscoder? _transcoder;
    bool _decided;
    bool _received;
    bool _holds;
    bool _disposed;

    public XmlResponseStream(Stream inner, HttpResponse response, XmlFormatOptions options)
    {
        _inner = inner;
        _response = response;
        _options = options;
    }

    bool Transcoding => _transcoder is not null;

    /// Called before headers go out; rewrites them when the body will be converted.
    public void Decide()
    {
        if (_decided) return;
        _decided = true;
        var response = _response;
        if (response.Headers.ContainsKey(HeaderNames.ContentEncoding)) return;
        if (!MediaTypeHeaderValue.TryParse(response.ContentType, out var type)) return;
        var isJson = FormatNegotiation.Is(type.Type, "application") && (FormatNegotiation.Is(type.SubType, "json") || FormatNegotiation.Is(type.Suffix, "json"));
        if (!isJson) return;
        var problem = FormatNegotiation.Is(type.SubType, "problem+json");
        response.ContentType = problem ? "application/problem+xml; charset=utf-8" : "application/xml; charset=utf-8";
        _holds = response.ContentLength is not null;
        response.ContentLength = null;
        _transcoder = JsonToXmlTranscoder.Rent(_options);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Decide();
        if (!Transcoding)
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (buffer.Length == 0) return;
        _received = true;
        _transcoder!.Write(buffer.Span);
        if (!_holds || _transcoder.Output.Length >= HeldBytes) await DrainAsync(cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// Ends the XML document once the handler is done; a JSON body that stops early breaks the connection.
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Decide();
        if (!Transcoding || !_received) return;
        _transcoder!.Complete();
        // Nothing went out yet: the whole XML is here, and its length known.
        if (!_response.HasStarted) _response.ContentLength = _transcoder.Output.Length;
        await DrainAsync(cancellationToken).ConfigureAwait(false);
    }

    async Task DrainAsync(CancellationToken cancellationToken)
    {
        var output = _transcoder!.Output;
        if (output.Length == 0) return;
        await _inner.WriteAsync(output, cancellationToken).ConfigureAwait(false);
        _transcoder.Consume();
    }

    /// A handler that flushes wants what it wrote on its way (a stream of events, say): the XML held so far goes too.
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Decide();
        if (Transcoding) await DrainAsync(cancellationToken).ConfigureAwait(false);
        await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            // The transcoder goes back to the pool: nothing may reach it through this stream after, and a response
            // that starts later keeps the headers it has.
            _disposed = _decided = true;
            if (_transcoder is { } transcoder) JsonToXmlTranscoder.Return(transcoder);
            _transcoder = null;
        }
        base.Dispose(disposing);
    }
}

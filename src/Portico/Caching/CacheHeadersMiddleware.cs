using Microsoft.AspNetCore.Http;

namespace Portico.Caching;

/// Sits between the output cache and the route's handler on a cache miss: the output cache snapshots the response
/// headers and lifetime on the first body write, so the decision the upstream's headers call for
/// (<see cref="CacheRequestState.BeforeBody"/>) has to be made just before that write, whatever the handler is; the
/// body passing through is handed to the state too, for the memory store.
internal sealed class CacheHeadersMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context) =>
        context.Features.Get<CacheRequestState>() is { } state ? WrapAsync(context, state) : next(context);

    async Task WrapAsync(HttpContext context, CacheRequestState state)
    {
        var original = context.Response.Body;
        context.Response.Body = new CacheHeadersStream(original, state);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = original;
        }
    }

    sealed class CacheHeadersStream(Stream inner, CacheRequestState state) : Http.ResponseBodyStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            state.BeforeBody();
            state.Captured(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            state.BeforeBody();
            state.Captured(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            state.BeforeBody();
            return inner.FlushAsync(cancellationToken);
        }

        public override void Flush()
        {
            state.BeforeBody();
            inner.Flush();
        }
    }
}

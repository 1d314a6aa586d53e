using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Portico.Hosting;

/// Counts the requests the gateway is serving, so a shutdown can say how many it waits for and how many it cut;
/// once stopping has begun, HTTP/1.1 answers close their connection so keep-alive clients reconnect elsewhere.
internal sealed class InFlightRequests(IHostApplicationLifetime lifetime)
{
    int _count;

    public int Count => Volatile.Read(ref _count);

    /// Middleware body: counts the request for as long as the rest of the pipeline runs.
    public async Task TrackAsync(HttpContext context, RequestDelegate next)
    {
        // Kestrel adds this itself once the server stops; stopping begins a moment earlier (ApplicationStopping).
        if (lifetime.ApplicationStopping.IsCancellationRequested && HttpProtocol.IsHttp11(context.Request.Protocol))
            context.Response.Headers.Connection = "close";
        Interlocked.Increment(ref _count);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _count);
        }
    }
}

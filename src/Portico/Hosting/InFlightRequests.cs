using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Portico.Hosting;

/// Counts the requests the gateway is serving, so a shutdown can say how many it waits for and how many it cut;
/// once stopping has begun, HTTP/1.1 answers close their connection so keep-alive clients reconnect elsewhere.
///
/// The count is kept here rather than read from ASP.NET Core's `http.server.active_requests` (or the hosting
/// EventSource's current-requests): those are only counted while a listener is attached, so reading them in
/// process means a MeterListener whose callback adds each +1/-1 (with its method/scheme/route tags) to a counter
/// of our own — the same two interlocked operations per request, plus the tag work. Kestrel has no public
/// in-flight request count (only connection counts). What is saved instead is the async frame: the middleware
/// is not an async method, returns the rest of the pipeline's task as is when that completed synchronously, and
/// only awaits it (to decrement when it ends) when it is still running.
internal sealed class InFlightRequests(IHostApplicationLifetime lifetime)
{
    int _count;

    public int Count => Volatile.Read(ref _count);

    /// Middleware body: counts the request for as long as the rest of the pipeline runs.
    public Task TrackAsync(HttpContext context, RequestDelegate next)
    {
        // Kestrel adds this itself once the server stops; stopping begins a moment earlier (ApplicationStopping).
        if (lifetime.ApplicationStopping.IsCancellationRequested && HttpProtocol.IsHttp11(context.Request.Protocol))
            context.Response.Headers.Connection = "close";
        Interlocked.Increment(ref _count);
        Task rest;
        try
        {
            rest = next(context);
        }
        catch
        {
            Interlocked.Decrement(ref _count);
            throw;
        }
        if (!rest.IsCompleted) return UntilCompletedAsync(rest);
        Interlocked.Decrement(ref _count);
        return rest;
    }

    async Task UntilCompletedAsync(Task rest)
    {
        try
        {
            await rest.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _count);
        }
    }
}

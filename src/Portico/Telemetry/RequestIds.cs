using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Portico.Telemetry;

/// <summary>
/// The request id (telemetry.requestId): a client's id is kept when it is one short, plain value, any other is
/// replaced by a new one; the request's header is set to the chosen id (the proxy sends exactly that upstream) and
/// the response carries it back, the gateway's own answers too.
/// </summary>
internal static class RequestIds
{
    /// <summary>The longest client id kept.</summary>
    public const int MaxLength = 128;

    /// <summary>True when a client's header is one value of 1–128 characters from [A-Za-z0-9._:+/=@-].</summary>
    public static bool IsValid(StringValues values) => values.Count == 1 && IsValid(values[0]);

    /// <summary>True for 1–128 characters from [A-Za-z0-9._:+/=@-]: nothing that could split a header or a log line.</summary>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length is 0 or > MaxLength) return false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '+' or '/' or '=' or '@' or '-')) return false;
        }
        return true;
    }

    /// <summary>A new id: 128 random bits as 32 hex digits (unique without coordination between nodes).</summary>
    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>Chooses the request's id, puts it on the request and the telemetry, and has the response carry it.</summary>
    public static void Apply(HttpContext context, RequestTelemetry telemetry, string header)
    {
        var headers = context.Request.Headers;
        var id = headers.TryGetValue(header, out var given) && IsValid(given) ? given.ToString() : New();
        headers[header] = id;
        telemetry.RequestId = id;
        telemetry.RequestIdHeader = header;
        // Registered first, so it runs last of the OnStarting callbacks: the id overwrites any value an upstream echoed.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            if (RequestTelemetry.Of(http) is { RequestId: { } id, RequestIdHeader: { } name }) http.Response.Headers[name] = id;
            return Task.CompletedTask;
        }, context);
    }
}

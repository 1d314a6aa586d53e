using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Portico.Problems;

/// RFC 9457 problem+json responses with stable `type` URNs. Written with Utf8JsonWriter: no reflection.
internal static class Problem
{
    public const string ContentType = "application/problem+json";

    public static class Types
    {
        public const string NotFound = "urn:portico:problem:no-route";
        public const string MethodNotAllowed = "urn:portico:problem:method-not-allowed";
        public const string UpstreamUnreachable = "urn:portico:problem:upstream-unreachable";
        public const string UpstreamTimeout = "urn:portico:problem:upstream-timeout";
        public const string NoHealthyDestination = "urn:portico:problem:no-healthy-destination";
        public const string CircuitOpen = "urn:portico:problem:circuit-open";
        public const string UpstreamError = "urn:portico:problem:upstream-error";
        public const string BadRequest = "urn:portico:problem:bad-request";
        public const string BadPath = "urn:portico:problem:bad-path";
        public const string RequestTooLarge = "urn:portico:problem:request-too-large";
        public const string ShuttingDown = "urn:portico:problem:shutting-down";
        /// The gateway holds as many buffered bodies as its `server.limits.bufferedBodies` allows; retry later.
        public const string Overloaded = "urn:portico:problem:overloaded";
        public const string Unauthorized = "urn:portico:problem:unauthorized";
        public const string Forbidden = "urn:portico:problem:forbidden";
        public const string RateLimited = "urn:portico:problem:rate-limited";
        public const string RateLimitStoreUnavailable = "urn:portico:problem:rate-limit-store-unavailable";
        public const string AggregatePartFailed = "urn:portico:problem:aggregate-part-failed";
        public const string AggregateDeadline = "urn:portico:problem:aggregate-deadline";
        public const string NotAcceptable = "urn:portico:problem:not-acceptable";
        public const string BadXml = "urn:portico:problem:bad-xml";
        public const string CrossSiteRequest = "urn:portico:problem:cross-site-request";
        public const string SessionStoreUnavailable = "urn:portico:problem:session-store-unavailable";
        public const string InvalidMessage = "urn:portico:problem:invalid-message";
        public const string GrpcStatus = "urn:portico:problem:grpc-status";
        public const string InvalidVariable = "urn:portico:problem:invalid-variable";
        public const string GraphQLErrors = "urn:portico:problem:graphql-errors";
        public const string GraphQLNull = "urn:portico:problem:graphql-null";
        public const string UnsupportedMediaType = "urn:portico:problem:unsupported-media-type";
        public const string BrokerNotConfigured = "urn:portico:problem:broker-not-configured";
        public const string BrokerUnavailable = "urn:portico:problem:broker-unavailable";
        public const string MessageUnroutable = "urn:portico:problem:message-unroutable";
        public const string MessageNacked = "urn:portico:problem:message-nacked";
        public const string BrokerRefused = "urn:portico:problem:broker-refused";
        public const string PolicyRejected = "urn:portico:problem:policy-rejected";
        public const string PolicyFailed = "urn:portico:problem:policy-failed";
    }

    /// <param name="extensions">Writes extra members of the problem object (RFC 9457 extension members).</param>
    public static Task WriteAsync(HttpContext context, int status, string type, string title, string detail, string? service = null, string? route = null, TimeSpan? retryAfter = null,
        Action<Utf8JsonWriter>? extensions = null)
    {
        var response = context.Response;
        var telemetry = Telemetry.RequestTelemetry.Of(context);
        // A class found earlier (by the step that failed) is the more precise one.
        if (telemetry is not null) telemetry.ErrorType ??= ErrorType(type);
        if (response.HasStarted) return Task.CompletedTask;
        // Keep headers other middleware set (cookies, rate-limit, CORS); drop what described another body.
        response.Headers.Remove(HeaderNames.ContentEncoding);
        response.Headers.Remove(HeaderNames.ContentRange);
        response.Headers.Remove(HeaderNames.ContentLanguage);
        response.Headers.Remove(HeaderNames.ContentDisposition);
        response.Headers.Remove(HeaderNames.ContentMD5);
        response.Headers.Remove(HeaderNames.ETag);
        response.Headers.Remove(HeaderNames.LastModified);
        response.Headers.Remove(HeaderNames.Expires);
        response.Headers.Remove(HeaderNames.TransferEncoding);
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        // Whole seconds, rounded up and at least 1: a client told "0" would retry at once.
        if (retryAfter is { } after)
            response.Headers.RetryAfter = Math.Max(1L, (long)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Http.JsonText.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("instance", context.Request.Path.Value);
            if (service is not null) json.WriteString("service", service);
            if (route is not null) json.WriteString("route", route);
            var traceId = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
            json.WriteString("traceId", traceId);
            if (telemetry?.RequestId is { } requestId) json.WriteString("requestId", requestId);
            extensions?.Invoke(json);
            json.WriteEndObject();
        }
        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    const string TypePrefix = "urn:portico:problem:";

    /// The short class of a problem type for the access log's `error_type`: urn:portico:problem:no-route is "no-route".
    internal static string ErrorType(string type) =>
        type.StartsWith(TypePrefix, StringComparison.Ordinal) && type.Length > TypePrefix.Length ? type[TypePrefix.Length..] : "problem";
}

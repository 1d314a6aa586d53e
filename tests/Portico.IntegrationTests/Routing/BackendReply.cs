using System.Net;
using System.Text.Json;

namespace Portico.IntegrationTests.Routing;

/// What a TestBackend's fallback answered: which backend, and the path and query it received.
public sealed record BackendReply(HttpStatusCode Status, string? Backend, string? Path, string? Query, string? ContentType, string Body)
{
    public static async Task<BackendReply> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        string? backend = null, path = null, query = null;
        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (contentType == "application/json" && body.Length > 0)
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("backend", out var b)) backend = b.GetString();
            if (json.RootElement.TryGetProperty("path", out var p)) path = p.GetString();
            if (json.RootElement.TryGetProperty("query", out var q)) query = q.GetString();
        }
        return new BackendReply(response.StatusCode, backend, path, query, contentType, body);
    }

    public static async Task<BackendReply> GetAsync(HttpClient client, string url, Action<HttpRequestMessage>? configure = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        configure?.Invoke(request);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return await ReadAsync(response);
    }

    /// The `type` of a problem+json body.
    public string? ProblemType
    {
        get
        {
            using var json = JsonDocument.Parse(Body);
            return json.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
        }
    }
}

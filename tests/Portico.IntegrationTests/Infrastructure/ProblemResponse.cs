using System.Text.Json;

namespace Portico.IntegrationTests.Infrastructure;

/// A problem+json answer read back: its raw text (to check what must not leak) and the fields tests assert on.
public sealed record ProblemResponse(string Text, string? ContentType, string? Type, int Status, string? Service, string? Route)
{
    public static async Task<ProblemResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        return new ProblemResponse(text, response.Content.Headers.ContentType?.MediaType,
            root.GetProperty("type").GetString(), root.GetProperty("status").GetInt32(),
            root.TryGetProperty("service", out var s) ? s.GetString() : null,
            root.TryGetProperty("route", out var r) ? r.GetString() : null);
    }
}

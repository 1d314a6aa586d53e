using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Portico.Protocols.GraphQL;

/// The GraphQL `errors` of an answer without data, as an HTTP status: the first error whose `extensions.code`
/// is one of these decides; any other answer is the service's failure (502).
internal static class GraphQLErrorMapping
{
    static readonly Dictionary<string, int> Statuses = new(StringComparer.Ordinal)
    {
        ["NOT_FOUND"] = StatusCodes.Status404NotFound,
        ["UNAUTHENTICATED"] = StatusCodes.Status401Unauthorized,
        ["FORBIDDEN"] = StatusCodes.Status403Forbidden,
        ["BAD_USER_INPUT"] = StatusCodes.Status400BadRequest,
        ["GRAPHQL_VALIDATION_FAILED"] = StatusCodes.Status400BadRequest,
        ["GRAPHQL_PARSE_FAILED"] = StatusCodes.Status400BadRequest,
    };

    public const string PersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND";

    public static int StatusOf(JsonArray errors)
    {
        foreach (var error in errors)
        {
            if (CodeOf(error) is { } code && Statuses.TryGetValue(code, out var status)) return status;
        }
        return StatusCodes.Status502BadGateway;
    }

    public static string? CodeOf(JsonNode? error) =>
        error is JsonObject e && e["extensions"] is JsonObject x && x["code"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static string MessageOf(JsonNode? error) =>
        error is JsonObject e && e["message"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "(no message)";

    /// The service does not know the hash (Apollo's code, or the message other servers send).
    public static bool IsPersistedQueryNotFound(JsonArray errors) =>
        errors.Any(e => CodeOf(e) == PersistedQueryNotFound || MessageOf(e) == "PersistedQueryNotFound");

    /// One error as Portico reports it: message, and the path and code when the service gave them.
    public static void Write(Utf8JsonWriter json, JsonNode? error)
    {
        json.WriteStartObject();
        json.WriteString("message", MessageOf(error));
        if (error is JsonObject e && e["path"] is JsonArray path)
        {
            json.WritePropertyName("path");
            path.WriteTo(json);
        }
        if (CodeOf(error) is { } code) json.WriteString("code", code);
        json.WriteEndObject();
    }
}

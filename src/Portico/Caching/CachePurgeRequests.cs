using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portico.Caching;

/// Purges asked for from the CLI when the cache is this process's memory: the CLI writes a request file beside the
/// config (atomically: a temporary file renamed over it), the running gateway evicts its tags and deletes the file,
/// which tells the CLI it was applied. With `store: redis` the CLI evicts in Redis itself and needs no gateway.
internal static class CachePurgeRequests
{
    public const string FileName = "portico-cache-purge.json";

    public sealed record Request(string Id, List<string> Tags);

    public static string PathFor(string configPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, FileName);

    public static void Write(string path, Request request)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(request, CachePurgeJson.Default.Request));
        File.Move(temp, path, overwrite: true);
    }

    /// The pending request, or null when there is none (or it cannot be read yet: the next change event retries).
    public static Request? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), CachePurgeJson.Default.Request) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CachePurgeRequests.Request))]
internal sealed partial class CachePurgeJson : JsonSerializerContext;

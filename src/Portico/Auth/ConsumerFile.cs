using System.Text.Json;
using System.Text.Json.Serialization;
using Portico.Configuration;

namespace Portico.Auth;

/// The consumers file: consumers and API key hashes created at runtime by the CLI, next to the config. Written
/// atomically (a temp file in the same folder, then rename) under an exclusive lock file, so a gateway reading it
/// never sees half a file and two CLI runs never lose each other's change.
internal static class ConsumerFile
{
    public sealed record Data(List<StoredConsumer> Consumers)
    {
        public static Data Empty => new([]);
    }

    public sealed record StoredConsumer(string Id, List<string> Scopes, List<StoredKey> Keys, List<string>? Groups = null);

    /// <param name="Id">A short handle for listing and revoking: the first 12 hex digits of the hash (never the key).</param>
    public sealed record StoredKey(string Id, string Hash, DateTimeOffset Created, DateTimeOffset? Expires);

    public static string KeyId(string hash) => "k_" + hash[ApiKeys.HashPrefix.Length..][..12];

    /// The file's path for a config file and its `auth.consumersFile`.
    public static string PathFor(string configPath, AuthDefinition? auth) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, auth?.ConsumersFile ?? AuthDefinition.DefaultConsumersFile);

    /// The file's content; empty when it does not exist yet.
    public static Data Load(string path)
    {
        if (!File.Exists(path)) return Data.Empty;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return JsonSerializer.Deserialize(stream, ConsumerFileJson.Default.Data) ?? Data.Empty;
    }

    /// Reads, changes and writes the file as one step under the lock; returns what <paramref name="change"/> returned.
    public static T Update<T>(string path, Func<Data, T> change)
    {
        using var lockFile = AcquireLock(path + ".lock");
        var data = Load(path);
        var result = change(data);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, data, ConsumerFileJson.Default.Data);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        return result;
    }

    // The lock file stays: deleting it on close would let a waiter lock the old inode while a newcomer locks a new one.
    static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Another writer holds it for a few milliseconds; a short wait is all there is to do.
                Thread.Sleep(20);
            }
        }
    }

    /// The stored consumers as config records (for the key index).
    internal static IEnumerable<ConsumerDefinition> AsDefinitions(Data data) =>
        data.Consumers.Select(c => new ConsumerDefinition(c.Id, c.Scopes, [.. c.Keys.Select(k => new ConsumerKeyDefinition(k.Hash, k.Expires))], c.Groups));
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ConsumerFile.Data))]
[JsonSerializable(typeof(ConsumerFile.StoredConsumer))]
internal sealed partial class ConsumerFileJson : JsonSerializerContext
{
    /// One consumer on one line (a Redis hash field).
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<ConsumerFile.StoredConsumer> CompactStoredConsumer { get; } =
        new ConsumerFileJson(new JsonSerializerOptions(JsonSerializerDefaults.Web)).StoredConsumer;
}

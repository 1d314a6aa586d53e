using System.Text.Json;
using Portico.Configuration;
using StackExchange.Redis;

namespace Portico.Auth;

/// Runtime consumers in Redis: one hash, a field per consumer holding its JSON (id, scopes, key hashes — never keys).
/// A change is a transaction guarded by the fields it read, retried when another writer got there first, then
/// announced on <see cref="Channel"/> so every gateway reloads at once.
public sealed class RedisConsumerStore : ConsumerStore
{
    public const string HashKey = "portico:consumers";
    public static readonly RedisChannel Channel = RedisChannel.Literal("portico:consumers:changed");

    readonly StoreDefinition _store;
    ConnectionMultiplexer? _connection;

    public RedisConsumerStore(StoreDefinition store) => _store = store;

    public override string Description => $"Redis at {_store.Connection?.Split(',')[0]}";

    IDatabase Database()
    {
        if (_connection is null)
        {
            var options = ConfigurationOptions.Parse(_store.Connection!);
            options.ConnectTimeout = Math.Max(1000, (int)_store.Timeout.TotalMilliseconds);
            options.ClientName ??= "portico-cli";
            try
            {
                _connection = ConnectionMultiplexer.Connect(options);
            }
            catch (RedisConnectionException ex)
            {
                throw new ConsumerStoreUnavailableException($"{Description} is not reachable: {ex.Message}", ex);
            }
        }
        return _connection.GetDatabase();
    }

    public override ConsumerFile.Data Load() => Parse(Database().HashGetAll(HashKey)).Data;

    public override T Update<T>(Func<ConsumerFile.Data, T> change)
    {
        var database = Database();
        for (var attempt = 0; ; attempt++)
        {
            var (data, before) = Parse(database.HashGetAll(HashKey));
            var result = change(data);
            var after = data.Consumers.ToDictionary(c => c.Id, Serialize, StringComparer.Ordinal);
            var transaction = database.CreateTransaction();
            var changed = false;
            foreach (var (id, json) in after)
            {
                if (before.TryGetValue(id, out var old))
                {
                    if (old == json) continue;
                    transaction.AddCondition(Condition.HashEqual(HashKey, id, old));
                }
                else
                {
                    transaction.AddCondition(Condition.HashNotExists(HashKey, id));
                }
                _ = transaction.HashSetAsync(HashKey, id, json);
                changed = true;
            }
            foreach (var (id, old) in before)
            {
                if (after.ContainsKey(id)) continue;
                transaction.AddCondition(Condition.HashEqual(HashKey, id, old));
                _ = transaction.HashDeleteAsync(HashKey, id);
                changed = true;
            }
            if (!changed) return result;
            if (transaction.Execute())
            {
                database.Publish(Channel, "changed");
                return result;
            }
            if (attempt >= 20) throw new InvalidOperationException("the consumers in Redis kept changing under this update; try again");
        }
    }

    /// The stored consumers, sorted by id, and each one's JSON as read (the transaction's guard).
    public static (ConsumerFile.Data Data, Dictionary<string, string> Json) Parse(HashEntry[] entries)
    {
        var json = new Dictionary<string, string>(StringComparer.Ordinal);
        var consumers = new List<ConsumerFile.StoredConsumer>();
        foreach (var entry in entries.OrderBy(e => (string?)e.Name, StringComparer.Ordinal))
        {
            var text = (string)entry.Value!;
            json[(string)entry.Name!] = text;
            if (JsonSerializer.Deserialize(text, ConsumerFileJson.Default.StoredConsumer) is { } consumer) consumers.Add(consumer);
        }
        return (new ConsumerFile.Data(consumers), json);
    }

    static string Serialize(ConsumerFile.StoredConsumer consumer) => JsonSerializer.Serialize(consumer, ConsumerFileJson.CompactStoredConsumer);

    public override void Dispose()
    {
        _connection?.Dispose();
        base.Dispose();
    }
}

/// The store runtime consumers live in could not be reached (the CLI says so and exits 1).
public sealed class ConsumerStoreUnavailableException(string message, Exception inner) : Exception(message, inner);

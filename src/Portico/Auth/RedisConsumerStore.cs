using System.Text.Json;
using Portico.Configuration;
using StackExchange.Redis;

namespace Portico.Auth;

/// Runtime consumers in Redis: one hash, a field per consumer holding its JSON (id, scopes, key hashes — never keys).
/// A change is a transaction guarded by the fields it read, retried when another writer got there first, then
/// announced on <see cref="Channel"/> so every gateway reloads at once.
internal sealed class RedisConsumerStore : ConsumerStore
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
            var (data, before, _) = Parse(database.HashGetAll(HashKey));
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

    /// The stored consumers that read whole, sorted by id, each one's JSON as read (the transaction's guard), and the
    /// fields that do not read (see <see cref="Read"/>): those are left out, and an update leaves them untouched.
    public static (ConsumerFile.Data Data, Dictionary<string, string> Json, IReadOnlyList<string> Unreadable) Parse(HashEntry[] entries)
    {
        var json = new Dictionary<string, string>(StringComparer.Ordinal);
        var consumers = new List<ConsumerFile.StoredConsumer>();
        var unreadable = new List<string>();
        foreach (var entry in entries.OrderBy(e => (string?)e.Name, StringComparer.Ordinal))
        {
            var field = (string?)entry.Name ?? "";
            var text = (string?)entry.Value ?? "";
            if (Read(field, text) is { } consumer)
            {
                json[field] = text;
                consumers.Add(consumer);
            }
            else
            {
                unreadable.Add(field);
            }
        }
        return (new ConsumerFile.Data(consumers), json, unreadable);
    }

    /// One hash field as a consumer; null unless its JSON parses, names the field's consumer and holds only
    /// well-formed key hashes (a hand-edited or foreign entry must not take the other consumers down with it).
    public static ConsumerFile.StoredConsumer? Read(string field, string json)
    {
        ConsumerFile.StoredConsumer? consumer;
        try
        {
            consumer = JsonSerializer.Deserialize(json, ConsumerFileJson.Default.StoredConsumer);
        }
        catch (JsonException)
        {
            return null;
        }
        if (consumer is null || consumer.Id != field || consumer.Scopes is null || consumer.Keys is null) return null;
        if (consumer.Scopes.Any(s => s is null) || consumer.Groups?.Any(g => g is null) == true) return null;
        return consumer.Keys.All(k => k is not null && k.Id is not null && ApiKeys.IsHash(k.Hash)) ? consumer : null;
    }

    /// One consumer as its hash field holds it: one line of JSON.
    public static string Serialize(ConsumerFile.StoredConsumer consumer) => JsonSerializer.Serialize(consumer, ConsumerFileJson.CompactStoredConsumer);
    public override void Dispose()
    {
        _connection?.Dispose();
        base.Dispose();
    }
}

/// The store runtime consumers live in could not be reached (the CLI says so and exits 1).
internal sealed class ConsumerStoreUnavailableException(string message, Exception inner) : Exception(message, inner);

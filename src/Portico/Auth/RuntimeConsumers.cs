using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Store;
using StackExchange.Redis;

namespace Portico.Auth;

/// The consumers and keys created at runtime, kept in memory for the per-request lookup. With the memory store they
/// come from the consumers file, re-read whenever it changes (the CLI writes it atomically, so every read sees a
/// whole file). With `store: redis` they come from Redis: loaded at start, reloaded on every change the CLI announces
/// (pub/sub), after a lost connection comes back (announcements may have been missed) and every
/// <see cref="ResyncEvery"/> as a safety net (a read that fails on a live connection is retried after a second). A
/// source that cannot be read keeps the last good set; a node that never read Redis has only the config's consumers.
internal sealed partial class RuntimeConsumers : IDisposable
{
    public static readonly TimeSpan ResyncEvery = TimeSpan.FromSeconds(30);
    static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);

    readonly ILogger<RuntimeConsumers> _logger;
    readonly RedisConnections _redis;
    readonly Lock _gate = new();
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "A SemaphoreSlim holds nothing to free unless its wait handle is read (never here); disposing it could fail a caller still waiting as the owner shuts down")]
    readonly SemaphoreSlim _redisLoads = new(1, 1);
    volatile ConsumerKeyIndex _keys = new([]);
    FileSystemWatcher? _watcher;
    string? _path;
    StoreDefinition? _redisStore;
    ITimer? _resync;
    ISubscriber? _subscriber;
    IConnectionMultiplexer? _multiplexer;
    readonly TimeProvider _time;
    bool _loadedFromRedis;

    public RuntimeConsumers(RuntimeHolder holder, RedisConnections redis, TimeProvider time, ILogger<RuntimeConsumers> logger)
    {
        _logger = logger;
        _redis = redis;
        _time = time;
        holder.Swapped += snapshot => Follow(snapshot.Config, holder.ConfigPath);
        if (holder.HasSnapshot) Follow(holder.Current.Config, holder.ConfigPath);
    }

    public ConsumerKeyIndex Keys => _keys;

    /// Raised after each (re)load, with the number of keys now known; tests wait on it instead of sleeping.
    public event Action<int>? Reloaded;

    void Follow(PorticoConfig config, string? configPath)
    {
        if (config.Auth is null || configPath is null)
        {
            Watch(null);
            FollowRedis(null);
        }
        else if (config.Store is { Kind: StoreKind.Redis } store)
        {
            Watch(null);
            FollowRedis(store);
        }
        else
        {
            FollowRedis(null);
            Watch(ConsumerFile.PathFor(configPath, config.Auth));
        }
    }

    void Watch(string? path)
    {
        lock (_gate)
        {
            if (path == _path) return;
            _watcher?.Dispose();
            _watcher = null;
            _path = path;
            if (path is null)
            {
                if (_redisStore is null) _keys = new ConsumerKeyIndex([]);
                return;
            }
            var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, _) => Load();
            watcher.Created += (_, _) => Load();
            watcher.Renamed += (_, _) => Load();
            watcher.Deleted += (_, _) => Load();
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        Load();
    }

    void Load()
    {
        string? path;
        lock (_gate) path = _path;
        if (path is null) return;
        try
        {
            Apply(new ConsumerKeyIndex(ConsumerFile.AsDefinitions(ConsumerFile.Load(path))));
            LogLoaded(_logger, path, _keys.Count);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or FormatException)
        {
            LogUnreadable(_logger, path, ex.Message);
        }
    }

    void FollowRedis(StoreDefinition? store)
    {
        lock (_gate)
        {
            if (store == _redisStore) return;
            StopFollowingRedis();
            _redisStore = store;
            if (store is null) return;
            var database = _redis.Database(store);
            _multiplexer = database.Multiplexer;
            _multiplexer.ConnectionRestored += OnRestored;
            _subscriber = _multiplexer.GetSubscriber();
            try
            {
                _subscriber.Subscribe(RedisConsumerStore.Channel, OnAnnounced);
            }
            catch (RedisException ex)
            {
                // Redis is down (at start, or during a reload): the subscription stays registered with the connection,
                // which makes it when it connects, and the connect itself triggers a full load (OnRestored).
                LogNotSubscribed(_logger, ex.Message);
            }
            _resync = _time.CreateTimer(_ => _ = LoadRedisAsync(), null, ResyncEvery, ResyncEvery);
        }
        _ = LoadRedisAsync();
    }

    void OnAnnounced(RedisChannel channel, RedisValue message) => _ = LoadRedisAsync();

    // Called under _gate. Never throws: unsubscribing while Redis is down only drops the local registration.
    void StopFollowingRedis()
    {
        _resync?.Dispose();
        _resync = null;
        if (_multiplexer is not null) _multiplexer.ConnectionRestored -= OnRestored;
        _multiplexer = null;
        try
        {
            _subscriber?.Unsubscribe(RedisConsumerStore.Channel, OnAnnounced);
        }
        catch (RedisException)
        {
        }
        _subscriber = null;
    }

    void OnRestored(object? sender, ConnectionFailedEventArgs e) => _ = LoadRedisAsync();

    async Task LoadRedisAsync()
    {
        await _redisLoads.WaitAsync().ConfigureAwait(false);
        try
        {
            StoreDefinition? store;
            lock (_gate) store = _redisStore;
            if (store is null) return;
            var entries = await _redis.Database(store).HashGetAllAsync(RedisConsumerStore.HashKey).ConfigureAwait(false);
            var index = IndexOf(entries, out var unreadable);
            foreach (var field in unreadable) LogRedisEntryUnreadable(_logger, field);
            Apply(index);
            _loadedFromRedis = true;
            LogLoadedFromRedis(_logger, index.Count);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            if (_loadedFromRedis) LogRedisUnreadable(_logger, ex.Message);
            else LogRedisNeverRead(_logger, ex.Message);
            // A read that failed on a live connection (a timeout) may have carried a revocation: try again in a
            // second rather than at the next periodic resync. A lost connection reloads when it returns.
            lock (_gate)
            {
                if (_multiplexer is { IsConnected: true }) _resync?.Change(RetryAfterFailure, ResyncEvery);
            }
        }
        finally
        {
            _redisLoads.Release();
        }
    }

    /// The key index for the consumers hash as read from Redis. A field that does not read as a consumer is left out
    /// (its keys refused) and named in <paramref name="unreadable"/>, so one bad entry cannot freeze every other change.
    internal static ConsumerKeyIndex IndexOf(HashEntry[] entries, out IReadOnlyList<string> unreadable)
    {
        var (data, _, rejected) = RedisConsumerStore.Parse(entries);
        unreadable = rejected;
        return new ConsumerKeyIndex(ConsumerFile.AsDefinitions(data));
    }

    void Apply(ConsumerKeyIndex index)
    {
        _keys = index;
        Reloaded?.Invoke(index.Count);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _watcher?.Dispose();
            StopFollowingRedis();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumers file {Path} loaded: {Keys} key(s)")]
    static partial void LogLoaded(ILogger logger, string path, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumers file {Path} could not be read, keeping the previous keys: {Reason}")]
    static partial void LogUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not subscribed to runtime consumer changes yet (Redis unreachable; subscribing when it connects): {Reason}")]
    static partial void LogNotSubscribed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Runtime consumers loaded from Redis: {Keys} key(s)")]
    static partial void LogLoadedFromRedis(ILogger logger, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Runtime consumers could not be read from Redis, keeping the previous keys (retried on reconnect and every 30s): {Reason}")]
    static partial void LogRedisUnreadable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Runtime consumers could not be read from Redis: until it is reachable only the consumers declared in the config are accepted (retried on connect and every 30s): {Reason}")]
    static partial void LogRedisNeverRead(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Runtime consumer {Consumer} in Redis is unreadable (not a consumer's JSON, or a malformed key hash); its keys are refused")]
    static partial void LogRedisEntryUnreadable(ILogger logger, string consumer);
}

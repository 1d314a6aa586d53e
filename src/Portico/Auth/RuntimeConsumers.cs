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
/// <see cref="ResyncEvery"/> as a safety net. A source that cannot be read keeps the last good set.
internal sealed partial class RuntimeConsumers : IDisposable
{
    public static readonly TimeSpan ResyncEvery = TimeSpan.FromSeconds(30);

    readonly ILogger<RuntimeConsumers> _logger;
    readonly RedisConnections _redis;
    readonly Lock _gate = new();
    readonly SemaphoreSlim _redisLoads = new(1, 1);
    volatile ConsumerKeyIndex _keys = new([]);
    FileSystemWatcher? _watcher;
    string? _path;
    StoreDefinition? _redisStore;
    ITimer? _resync;
    ISubscriber? _subscriber;
    IConnectionMultiplexer? _multiplexer;
    readonly TimeProvider _time;

    public RuntimeConsumers(RuntimeHolder holder, GatewayRuntime runtime, RedisConnections redis, TimeProvider time, ILogger<RuntimeConsumers> logger)
    {
        _logger = logger;
        _redis = redis;
        _time = time;
        holder.Swapped += snapshot => Follow(snapshot.Config, runtime.ConfigPath);
        if (holder.HasSnapshot) Follow(holder.Current.Config, runtime.ConfigPath);
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
            _resync?.Dispose();
            _resync = null;
            _subscriber?.Unsubscribe(RedisConsumerStore.Channel);
            _subscriber = null;
            if (_multiplexer is not null) _multiplexer.ConnectionRestored -= OnRestored;
            _multiplexer = null;
            _redisStore = store;
            if (store is null) return;
            var database = _redis.Database(store);
            _multiplexer = database.Multiplexer;
            _multiplexer.ConnectionRestored += OnRestored;
            _subscriber = _multiplexer.GetSubscriber();
            _subscriber.Subscribe(RedisConsumerStore.Channel, (_, _) => _ = LoadRedisAsync());
            _resync = _time.CreateTimer(_ => _ = LoadRedisAsync(), null, ResyncEvery, ResyncEvery);
        }
        _ = LoadRedisAsync();
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
            Apply(new ConsumerKeyIndex(ConsumerFile.AsDefinitions(RedisConsumerStore.Parse(entries).Data)));
            LogLoadedFromRedis(_logger, _keys.Count);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or System.Text.Json.JsonException or FormatException)
        {
            LogRedisUnreadable(_logger, ex.Message);
        }
        finally
        {
            _redisLoads.Release();
        }
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
            _resync?.Dispose();
            _subscriber?.Unsubscribe(RedisConsumerStore.Channel);
            if (_multiplexer is not null) _multiplexer.ConnectionRestored -= OnRestored;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumers file {Path} loaded: {Keys} key(s)")]
    static partial void LogLoaded(ILogger logger, string path, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumers file {Path} could not be read, keeping the previous keys: {Reason}")]
    static partial void LogUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Runtime consumers loaded from Redis: {Keys} key(s)")]
    static partial void LogLoadedFromRedis(ILogger logger, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Runtime consumers could not be read from Redis, keeping the previous keys (retried on reconnect and every 30s): {Reason}")]
    static partial void LogRedisUnreadable(ILogger logger, string reason);
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using StackExchange.Redis;

namespace Portico.Store;

/// One Redis connection per configured `store.connection`, shared by every feature that keeps state in Redis
/// and reused across reloads. Connections are set up to fail fast while Redis is down (no queueing, short
/// timeouts) and reconnect on their own, so a request never hangs on an unreachable store.
internal sealed partial class RedisConnections(ILogger<RedisConnections> logger) : IDisposable
{
    readonly ConcurrentDictionary<string, Lazy<ConnectionMultiplexer>> _connections = new(StringComparer.Ordinal);

    public IDatabase Database(StoreDefinition store)
    {
        var connection = store.Connection ?? throw new InvalidOperationException("the store has no Redis connection");
        var key = $"{connection}|{store.Timeout.Ticks}";
        return _connections.GetOrAdd(key, _ => new Lazy<ConnectionMultiplexer>(() => Connect(connection, store.Timeout))).Value.GetDatabase();
    }

    ConnectionMultiplexer Connect(string connection, TimeSpan timeout)
    {
        var options = ConfigurationOptions.Parse(connection);
        var ms = (int)Math.Max(1, timeout.TotalMilliseconds);
        // Start serving even when Redis is down at startup; the multiplexer keeps retrying in the background.
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AsyncTimeout = ms;
        options.SyncTimeout = ms;
        options.ConnectTimeout = Math.Max(ms, 1000);
        options.ConnectRetry = 1;
        options.ReconnectRetryPolicy = new ExponentialRetry(100, 2000);
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        options.ClientName ??= "portico";
        // Only the endpoints are logged: the options after them may hold a password.
        var endpoints = string.Join(",", options.EndPoints.Select(EndPointCollection.ToString));
        var multiplexer = ConnectionMultiplexer.Connect(options);
        multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(logger, endpoints, e.FailureType);
        multiplexer.ConnectionRestored += (_, _) => LogConnectionRestored(logger, endpoints);
        if (!multiplexer.IsConnected) LogNotConnected(logger, endpoints);
        return multiplexer;
    }

    public void Dispose()
    {
        foreach (var lazy in _connections.Values)
        {
            if (lazy.IsValueCreated) lazy.Value.Dispose();
        }
        _connections.Clear();
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Redis connection to {Endpoint} failed ({Failure}); reconnecting in the background")]
    static partial void LogConnectionFailed(ILogger logger, string endpoint, ConnectionFailureType failure);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Redis connection to {Endpoint} restored")]
    static partial void LogConnectionRestored(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Redis at {Endpoint} is not reachable yet; store-backed policies use their onStoreDown setting until it is")]
    static partial void LogNotConnected(ILogger logger, string endpoint);
}

using Microsoft.Extensions.Logging;
using Portico.Runtime;

namespace Portico.Auth;

/// The consumers and keys created at runtime, read from the consumers file and re-read whenever it changes (the
/// CLI writes it atomically, so every read sees a whole file). A file that cannot be read keeps the last good set.
internal sealed partial class RuntimeConsumers : IDisposable
{
    readonly ILogger<RuntimeConsumers> _logger;
    readonly Lock _gate = new();
    volatile ConsumerKeyIndex _keys = new([]);
    FileSystemWatcher? _watcher;
    string? _path;

    public RuntimeConsumers(RuntimeHolder holder, GatewayRuntime runtime, ILogger<RuntimeConsumers> logger)
    {
        _logger = logger;
        holder.Swapped += snapshot => Watch(snapshot.Config.Auth is { } auth && runtime.ConfigPath is { } configPath ? ConsumerFile.PathFor(configPath, auth) : null);
        if (holder.HasSnapshot && holder.Current.Config.Auth is { } current && runtime.ConfigPath is { } path) Watch(ConsumerFile.PathFor(path, current));
    }

    public ConsumerKeyIndex Keys => _keys;

    /// Raised after each (re)load, with the number of keys now known; tests wait on it instead of sleeping.
    public event Action<int>? Reloaded;

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
                _keys = new ConsumerKeyIndex([]);
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
            var index = new ConsumerKeyIndex(ConsumerFile.AsDefinitions(ConsumerFile.Load(path)));
            _keys = index;
            LogLoaded(_logger, path, index.Count);
            Reloaded?.Invoke(index.Count);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or FormatException)
        {
            LogUnreadable(_logger, path, ex.Message);
        }
    }

    public void Dispose()
    {
        lock (_gate) _watcher?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumers file {Path} loaded: {Keys} key(s)")]
    static partial void LogLoaded(ILogger logger, string path, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumers file {Path} could not be read, keeping the previous keys: {Reason}")]
    static partial void LogUnreadable(ILogger logger, string path, string reason);
}

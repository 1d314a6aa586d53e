using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portico.Runtime;

namespace Portico.Caching;

/// Applies purge requests the CLI leaves beside the config (see <see cref="CachePurgeRequests"/>).
internal sealed partial class CachePurgeWatcher(RuntimeHolder runtime, PorticoCacheStore store, ILogger<CachePurgeWatcher> logger) : IHostedService, IDisposable
{
    FileSystemWatcher? _watcher;
    readonly SemaphoreSlim _gate = new(1, 1);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (runtime.ConfigPath is not { } configPath) return Task.CompletedTask;
        var path = CachePurgeRequests.PathFor(configPath);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, CachePurgeRequests.FileName)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Created += (_, _) => _ = ApplyAsync(path);
        _watcher.Changed += (_, _) => _ = ApplyAsync(path);
        _watcher.Renamed += (_, _) => _ = ApplyAsync(path);
        _watcher.EnableRaisingEvents = true;
        // A request written while the gateway was down has nothing left to purge (memory starts empty).
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
    }

    async Task ApplyAsync(string path)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (CachePurgeRequests.TryRead(path) is not { } request) return;
            foreach (var tag in request.Tags) await store.EvictByTagAsync(tag, CancellationToken.None).ConfigureAwait(false);
            File.Delete(path);
            LogPurged(logger, request.Tags);
        }
        catch (IOException)
        {
            // The CLI is still renaming it in; the next event applies it.
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _watcher?.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Response cache purged: {Tags}")]
    static partial void LogPurged(ILogger logger, IEnumerable<string> tags);
}

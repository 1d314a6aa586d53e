using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portico.Compilation;

/// Reloads the config when its file changes and on SIGHUP. A change is applied only once the file has settled:
/// no change event for a debounce period, then the same size and time of last write one period later, and
/// openable (a .NET writer holding it with FileShare.None keeps it closed). A parse error right after a change is
/// retried once after another period before it is reported, since a slow in-place writer may not be done.
internal sealed partial class ConfigWatcher(GatewayRuntime runtime, TimeProvider time, ILogger<ConfigWatcher> logger) : IHostedService, IDisposable
{
    static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);
    // A file that never settles (rewritten without pause) is still read after this many periods (about 30 s).
    const int MaxSettleChecks = 100;
    FileSystemWatcher? _watcher;
    PosixSignalRegistration? _sighup;
    ITimer? _timer;
    readonly Lock _gate = new();
    FileStamp? _lastSeen;
    int _settleChecks;
    bool _retried;

    public bool WatchFile { get; init; } = true;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (runtime.ConfigPath is not { } path) return Task.CompletedTask;
        if (!OperatingSystem.IsWindows())
        {
            UnignoreSighup();
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                LogSignal(logger);
                Schedule(TimeSpan.Zero, signalled: true);
            });
        }
        if (WatchFile)
        {
            var full = Path.GetFullPath(path);
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => Schedule(Debounce, signalled: false);
            _watcher.Created += (_, _) => Schedule(Debounce, signalled: false);
            _watcher.Renamed += (_, _) => Schedule(Debounce, signalled: false);
            _watcher.EnableRaisingEvents = true;
        }
        return Task.CompletedTask;
    }

    /// A process started with SIGHUP ignored (nohup, some supervisors) inherits that, and the runtime leaves an
    /// inherited ignore in place, so `kill -HUP` would do nothing. Reloading is what SIGHUP asks of this process, as
    /// it does of nginx: an ignored SIGHUP goes back to its default just before the handler is registered. Any
    /// other disposition (the default, or a handler the runtime already installed) is only read, never written.
    static void UnignoreSighup()
    {
        const int SigHup = 1;
        const nint Ignore = 1, ByDefault = 0;
        // struct sigaction starts with the handler on Linux and macOS; 256 bytes hold all of it on both.
        var current = new byte[256];
        if (SigAction(SigHup, 0, current) != 0) return;
        if (MemoryMarshal.Read<nint>(current) == Ignore) Signal(SigHup, ByDefault);
    }

    [DllImport("libc", EntryPoint = "sigaction")]
    static extern int SigAction(int signal, nint action, [Out] byte[] previous);

    [DllImport("libc", EntryPoint = "signal")]
    static extern nint Signal(int signal, nint handler);

    /// Every change event restarts the wait, so a reload starts only after a quiet period.
    void Schedule(TimeSpan delay, bool signalled)
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = time.CreateTimer(_ => _ = signalled ? ReloadNowAsync() : ReloadSettledAsync(), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// SIGHUP: the operator says the file is ready; read it now and report what is wrong.
    async Task ReloadNowAsync()
    {
        try
        {
            await runtime.ReloadAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
        }
    }

    async Task ReloadSettledAsync()
    {
        try
        {
            var stamp = FileStamp.Of(runtime.ConfigPath!);
            bool settled;
            lock (_gate)
            {
                settled = stamp is not null && stamp == _lastSeen || ++_settleChecks >= MaxSettleChecks;
                if (stamp != _lastSeen) _retried = false;
                _lastSeen = stamp;
            }
            if (!settled)
            {
                Schedule(Debounce, signalled: false);
                return;
            }
            var result = await runtime.ReloadAsync(stamp, reportErrors: _retried).ConfigureAwait(false);
            lock (_gate) _settleChecks = 0;
            if (result.FileChanging || (!result.Applied && !_retried))
            {
                // Not reported yet: the writer may still be busy; the next settled read decides.
                _retried = !result.FileChanging;
                Schedule(Debounce, signalled: false);
                return;
            }
            _retried = false;
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _watcher = null;
        _sighup?.Dispose();
        _sighup = null;
        lock (_gate) _timer?.Dispose();
    }

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "SIGHUP received: reloading configuration")]
    static partial void LogSignal(ILogger logger);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Configuration reload failed; the running configuration keeps serving")]
    static partial void LogFailed(ILogger logger, Exception exception);
}

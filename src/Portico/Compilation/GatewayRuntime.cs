using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Compilation;

/// Loads, validates, compiles and swaps configurations. A reload either applies completely or not at all:
/// a config with errors, or one that changes listeners (which needs a restart), leaves the current one serving.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim holds nothing to free unless its wait handle is read (never here); disposing it could fail a caller still waiting as the owner shuts down")]
internal sealed partial class GatewayRuntime(RuntimeHolder holder, ServiceRegistry services, SnapshotCompiler compiler, ILogger<GatewayRuntime> logger)
{
    readonly SemaphoreSlim _gate = new(1, 1);
    Task _olderSnapshotsDrained = Task.CompletedTask;

    public string? ConfigPath { get => holder.ConfigPath; internal set => holder.ConfigPath = value; }

    /// Counts reloads applied and refused, and reports the live version.
    internal Telemetry.PorticoMetrics? Metrics
    {
        get;
        init
        {
            field = value;
            value?.ObserveConfigVersion(() => holder.HasSnapshot ? holder.Current.Version : 0);
        }
    }

    public RuntimeSnapshot Current => holder.Current;

    /// The result of a reload attempt: the new version, or the reasons it was refused.
    public sealed record ReloadResult(bool Applied, long Version, IReadOnlyList<ConfigError> Errors)
    {
        /// The file changed while it was read (or since the caller saw it settle): the read was dropped, a newer one follows.
        public bool FileChanging { get; init; }
    }

    public async Task<ReloadResult> ApplyAsync(PorticoConfig config)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return await ApplyLockedAsync(config, TimeSpan.Zero).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <param name="loadTime">How long reading and checking the file took, for the log line.</param>
    async Task<ReloadResult> ApplyLockedAsync(PorticoConfig config, TimeSpan loadTime, bool reportErrors = true)
    {
        var started = Stopwatch.GetTimestamp();
        if (holder.HasSnapshot && ListenersChanged(holder.Current.Config, config) is { } problem)
        {
            if (reportErrors) Rejected(1, problem.ToString());
            return new ReloadResult(false, holder.Current.Version, [problem]);
        }
        if (holder.HasSnapshot && holder.Current.Config.Server != config.Server) LogServerSettingsNeedRestart(logger);
        if (holder.HasSnapshot && holder.Current.Config.Telemetry.StartupShape() != config.Telemetry.StartupShape()) LogTelemetrySettingsNeedRestart(logger);
        var prepared = services.Prepare(config.Services);
        RuntimeSnapshot snapshot;
        try
        {
            snapshot = compiler.Compile(config, prepared);
        }
        catch
        {
            await services.DiscardAsync(prepared).ConfigureAwait(false);
            throw;
        }
        // Services the new config drops are disposed only when no request can still reach them.
        var previous = holder.HasSnapshot ? holder.Current : null;
        var retireAfter = previous is null ? Task.CompletedTask : Task.WhenAll(previous.Drained, _olderSnapshotsDrained);
        services.Commit(prepared, retireAfter);
        compiler.Commit(snapshot, retireAfter);
        _olderSnapshotsDrained = retireAfter;
        try
        {
            holder.Swap(snapshot);
        }
        finally
        {
            // Even if a Swapped subscriber throws, the old snapshot must drain so its services get disposed.
            previous?.Retire(snapshot);
        }
        var compileMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Metrics?.ConfigReloaded(applied: true);
        LogApplied(logger, snapshot.Version, config.Routes.Count, config.Services.Count, config.Gateways.Count, (long)loadTime.TotalMilliseconds, compileMs);
        foreach (var warning in Routing.MethodFallThrough.Warnings(config)) LogFallThrough(logger, snapshot.Version, warning.ToString());
        return new ReloadResult(true, snapshot.Version, []);
    }

    /// Re-reads the config file; on any error the running config stays and the errors are logged.
    public Task<ReloadResult> ReloadAsync() => ReloadAsync(expected: null, reportErrors: true);

    /// Reads and applies the file inside the reload gate, so reloads apply in the order they read: a later read
    /// never loses to an earlier one. A read during which the file changed is dropped (<see cref="ReloadResult.FileChanging"/>).
    /// <param name="expected">The file as the caller saw it settle; if it differs now, the read is dropped too.</param>
    /// <param name="reportErrors">False while a writer may still be busy: errors are returned, not logged.</param>
    internal async Task<ReloadResult> ReloadAsync(FileStamp? expected, bool reportErrors)
    {
        if (ConfigPath is null) return new ReloadResult(false, holder.Current.Version, [new ConfigError("", "this gateway was not started from a config file")]);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var before = FileStamp.Of(ConfigPath);
            var loaded = before is null || (expected is not null && before != expected) ? null : ConfigLoading.LoadFile(ConfigPath, compiler.Kinds, policies: compiler.PolicyNames);
            if (loaded is null || FileStamp.Of(ConfigPath) != before)
            {
                LogFileChanging(logger);
                return new ReloadResult(false, holder.Current.Version, [new ConfigError("", "the file changed while it was read; reload again once it is written")]) { FileChanging = true };
            }
            if (!loaded.Success)
            {
                if (reportErrors) Rejected(loaded.Errors.Count, string.Join(Environment.NewLine, loaded.Errors));
                return new ReloadResult(false, holder.Current.Version, loaded.Errors);
            }
            return await ApplyLockedAsync(loaded.Config!, Stopwatch.GetElapsedTime(started), reportErrors).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// Loads a config with <paramref name="load"/> (given the kinds and policy names this runtime knows) inside the
    /// reload gate and applies it; on any error the running config stays and the errors are logged.
    internal async Task<ReloadResult> ReloadFromAsync(Func<RouteKindSet, IReadOnlyCollection<string>, ConfigLoadResult> load)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var loaded = load(compiler.Kinds, compiler.PolicyNames);
            if (!loaded.Success)
            {
                Rejected(loaded.Errors.Count, string.Join(Environment.NewLine, loaded.Errors));
                return new ReloadResult(false, holder.Current.Version, loaded.Errors);
            }
            return await ApplyLockedAsync(loaded.Config!, Stopwatch.GetElapsedTime(started)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    void Rejected(int count, string errors)
    {
        Metrics?.ConfigReloaded(applied: false);
        LogRejected(logger, count, errors);
    }

    static ConfigError? ListenersChanged(PorticoConfig current, PorticoConfig next)
    {
        static string Shape(PorticoConfig c) => string.Join(";", c.Gateways.Select(g => $"{g.Name}={string.Join(",", g.Listen)}|{g.Tls}"));
        return Shape(current) == Shape(next)
            ? null
            : new ConfigError("gateways", "gateways or their listen addresses changed; that needs a restart", null, "restart the gateway to apply listener changes; the running configuration is kept");
    }

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "The configuration file changed while it was read; that read is dropped")]
    static partial void LogFileChanging(ILogger logger);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Configuration version {Version}: {Warning}")]
    static partial void LogFallThrough(ILogger logger, long version, string warning);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "The 'server' settings changed; they take effect at the next restart (the rest of the configuration is applied now)")]
    static partial void LogServerSettingsNeedRestart(ILogger logger);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "The 'telemetry' listener, exporters or access log output changed; they take effect at the next restart (the rest of the configuration is applied now)")]
    static partial void LogTelemetrySettingsNeedRestart(ILogger logger);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Configuration version {Version} applied: {Routes} routes, {Services} services, {Gateways} gateways (read and checked in {LoadMs} ms, compiled and swapped in {CompileMs} ms)")]
    static partial void LogApplied(ILogger logger, long version, int routes, int services, int gateways, long loadMs, long compileMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Configuration rejected ({Count} errors); the running configuration keeps serving:\n{Errors}")]
    static partial void LogRejected(ILogger logger, int count, string errors);
}

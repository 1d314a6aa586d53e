using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Portico.IntegrationTests.Infrastructure;

/// Portico as a separate OS process (`Portico.Cli run`), for what only a real process shows: signals, restarts,
/// several gateway nodes. Its console output is captured line by line so tests can wait for log events.
public sealed class GatewayProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly List<string> _lines = [];
    readonly Lock _gate = new();
    readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];

    GatewayProcess(Process process, string configPath, int port)
    {
        _process = process;
        ConfigPath = configPath;
        Port = port;
    }

    public string ConfigPath { get; }
    public int Port { get; }
    public int Pid => _process.Id;
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// Writes <paramref name="yamlWithoutGateways"/> plus a gateway on a free port to a temp file and runs it.
    public static Task<GatewayProcess> StartAsync(string yamlWithoutGateways, params string[] extraArgs) =>
        StartAsync(yamlWithoutGateways, ignoreSighup: false, extraArgs);

    /// As <see cref="StartAsync(string, string[])"/>, with SIGHUP ignored from the start, as under nohup.
    public static Task<GatewayProcess> StartIgnoringSighupAsync(string yamlWithoutGateways, params string[] extraArgs) =>
        StartAsync(yamlWithoutGateways, ignoreSighup: true, extraArgs);

    static async Task<GatewayProcess> StartAsync(string yamlWithoutGateways, bool ignoreSighup, string[] extraArgs)
    {
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("portico-proc-");
        var path = Path.Combine(dir.FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, WithGateway(yamlWithoutGateways, port));
        // The shell's `trap "" HUP` sets SIGHUP to ignored, and exec keeps that for the gateway (same process id).
        var start = new ProcessStartInfo(ignoreSighup ? "/bin/sh" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (ignoreSighup)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("trap '' HUP; exec \"$0\" \"$@\"");
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(CliAssembly());
        foreach (var a in new[] { "run", "-c", path, "--log-format", "text" }.Concat(extraArgs)) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the gateway process");
        var gateway = new GatewayProcess(process, path, port);
        process.OutputDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await gateway.WaitForLogAsync(l => l.Contains("Application started", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        return gateway;
    }

    /// The gateway section this fixture adds: one gateway on the chosen port.
    public static string WithGateway(string yaml, int port) => $"gateways:\n  default:\n    listen: [\"http://127.0.0.1:{port}\"]\n{yaml}";

    public string Output
    {
        get
        {
            lock (_gate) return string.Join(Environment.NewLine, _lines);
        }
    }

    void OnLine(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(line)) continue;
                _waiters[i].Done.TrySetResult(line);
                _waiters.RemoveAt(i);
            }
        }
    }

    /// Completes with the first log line (already written or still to come) that matches.
    public Task<string> WaitForLogAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var seen = _lines.FirstOrDefault(match);
            if (seen is not null) done.TrySetResult(seen);
            else _waiters.Add((match, done));
        }
        return done.Task.WaitAsync(timeout).ContinueWith(t => t.IsFaulted
            ? throw new TimeoutException($"no matching log line within {timeout}; output so far:{Environment.NewLine}{Output}")
            : t.Result, TaskScheduler.Default);
    }

    /// Sends a signal with the shell's `kill` builtin (present on every POSIX system).
    public void Signal(string signal)
    {
        using var kill = Process.Start("/bin/sh", ["-c", $"kill -s {signal} {_process.Id}"]) ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -s {signal} {_process.Id} failed with exit code {kill.ExitCode}");
    }

    /// Waits for the process to end and returns its exit code; fails the test when it does not end in time.
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the gateway process did not exit within {timeout}; output so far:{Environment.NewLine}{Output}");
        }
        return _process.ExitCode;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// The CLI built beside this test assembly's configuration (Debug/Release) in the same checkout.
    internal static string CliAssembly()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = dir.Parent?.Name ?? "Debug";
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portico.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("repository root (Portico.sln) not found");
        var path = Path.Combine(dir.FullName, "src", "Portico.Cli", "bin", configuration, "net10.0", "Portico.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the solution first (dotnet build Portico.sln)", path);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(Path.GetDirectoryName(ConfigPath)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

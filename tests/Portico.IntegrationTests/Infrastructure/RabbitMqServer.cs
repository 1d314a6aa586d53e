using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RabbitMQ.Client;

namespace Portico.IntegrationTests.Infrastructure;

/// A real RabbitMQ node (Debian package `rabbitmq-server`, installed by build.sh) on free loopback ports, with its
/// own node name, Erlang distribution port, epmd port, data and log folders in a temp dir, and no plugins (so no
/// management listener). It boots in seconds, so fixtures share one per collection. <see cref="StopAsync"/> and
/// <see cref="StartAsync"/> take it away and bring it back on the same ports with the same data.
public sealed class RabbitMqServer : IAsyncDisposable
{
    const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("portico-rabbitmq-");
    readonly StringBuilder _output = new();
    Process? _process;

    RabbitMqServer(int port, int distributionPort, int epmdPort)
    {
        Port = port;
        DistributionPort = distributionPort;
        EpmdPort = epmdPort;
    }

    public int Port { get; }
    public int DistributionPort { get; }
    public int EpmdPort { get; }
    public string NodeName => $"portico-{Port}@localhost";
    /// The default `guest` user may connect from loopback.
    public string Url => $"amqp://guest:guest@127.0.0.1:{Port}/";

    public static async Task<RabbitMqServer> StartNewAsync()
    {
        var server = new RabbitMqServer(FreePort(), FreePort(), FreePort());
        await File.WriteAllTextAsync(Path.Combine(server._dir.FullName, "rabbitmq.conf"), $"listeners.tcp.default = 127.0.0.1:{server.Port}\n");
        await File.WriteAllTextAsync(Path.Combine(server._dir.FullName, "enabled_plugins"), "[].\n");
        await File.WriteAllTextAsync(Path.Combine(server._dir.FullName, "rabbitmq-env.conf"), "");
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// Starts the node (again, on the same ports and data) and completes once it accepts AMQP connections.
    public async Task StartAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("rabbitmq-server is already running");
        if (!File.Exists(ServerScript)) throw new InvalidOperationException($"{ServerScript} not found; install the Debian package rabbitmq-server (./build.sh test does)");
        var dir = _dir.FullName;
        var start = new ProcessStartInfo(ServerScript)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var (name, value) in Environment(dir)) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start rabbitmq-server");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Ready when it takes an AMQP connection; the node says nothing reliable on stdout before that.
        var factory = new ConnectionFactory { Uri = new Uri(Url), RequestedConnectionTimeout = TimeSpan.FromSeconds(2), AutomaticRecoveryEnabled = false };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"rabbitmq-server exited with {process.ExitCode}:{System.Environment.NewLine}{Output}");
            try
            {
                await using var connection = await factory.CreateConnectionAsync();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"rabbitmq-server did not accept connections on port {Port} within 60s:{System.Environment.NewLine}{Output}", ex);
            }
        }
    }

    /// Kills the node (no goodbye to clients, as in a crash) and waits until it is gone.
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    IEnumerable<(string, string)> Environment(string dir) =>
    [
        ("HOME", dir),
        ("RABBITMQ_NODENAME", NodeName),
        ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
        ("RABBITMQ_NODE_PORT", Port.ToString(CultureInfo.InvariantCulture)),
        ("RABBITMQ_DIST_PORT", DistributionPort.ToString(CultureInfo.InvariantCulture)),
        ("ERL_EPMD_PORT", EpmdPort.ToString(CultureInfo.InvariantCulture)),
        ("RABBITMQ_MNESIA_BASE", Path.Combine(dir, "mnesia")),
        ("RABBITMQ_LOG_BASE", Path.Combine(dir, "log")),
        ("RABBITMQ_CONFIG_FILE", Path.Combine(dir, "rabbitmq.conf")),
        ("RABBITMQ_ADVANCED_CONFIG_FILE", Path.Combine(dir, "advanced.config")),
        ("RABBITMQ_CONF_ENV_FILE", Path.Combine(dir, "rabbitmq-env.conf")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(dir, "enabled_plugins")),
        ("RABBITMQ_PLUGINS_EXPAND_DIR", Path.Combine(dir, "plugins-expand")),
        ("RABBITMQ_PID_FILE", Path.Combine(dir, "rabbitmq.pid")),
    ];

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        // The node started its own epmd (a daemon, outside the process tree) on our port: stop it too.
        try
        {
            var kill = new ProcessStartInfo("epmd", "-kill") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            kill.Environment["ERL_EPMD_PORT"] = EpmdPort.ToString(CultureInfo.InvariantCulture);
            using var epmd = Process.Start(kill);
            if (epmd is not null) await epmd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException)
        {
        }
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

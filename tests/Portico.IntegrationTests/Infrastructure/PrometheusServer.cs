using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Portico.IntegrationTests.Infrastructure;

/// A real Prometheus server (Debian package `prometheus`, installed by build.sh) on a free loopback port, with a
/// generated config scraping the given targets every second and its storage in a temp dir.
public sealed class PrometheusServer : IAsyncDisposable
{
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("portico-prometheus-");
    readonly System.Text.StringBuilder _output = new();
    readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    Process? _process;

    PrometheusServer(int port) => Port = port;

    public int Port { get; }
    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// Starts Prometheus scraping <paramref name="target"/> (host:port) at <paramref name="metricsPath"/> every second.
    public static async Task<PrometheusServer> StartAsync(string target, string metricsPath = "/metrics")
    {
        var server = new PrometheusServer(FreePort());
        var config = $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
            scrape_configs:
              - job_name: portico
                metrics_path: {metricsPath}
                static_configs:
                  - targets: ["{target}"]
            """;
        var configPath = Path.Combine(server._dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config);
        var start = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = server._dir.FullName,
        };
        foreach (var a in new[] { $"--config.file={configPath}", $"--storage.tsdb.path={Path.Combine(server._dir.FullName, "data")}",
                     $"--web.listen-address=127.0.0.1:{server.Port.ToString(CultureInfo.InvariantCulture)}", "--log.level=warn" })
            start.ArgumentList.Add(a);
        try
        {
            server._process = Process.Start(start) ?? throw new InvalidOperationException("could not start prometheus");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("prometheus is not on PATH; install the Debian package prometheus (./build.sh test does)", e);
        }
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        await server.WaitUntilReadyAsync();
        return server;
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited) throw new InvalidOperationException($"prometheus exited ({_process.ExitCode}):{Environment.NewLine}{Output}");
            try
            {
                using var response = await _http.GetAsync(new Uri(Address, "/-/ready"));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"prometheus did not become ready on port {Port}:{Environment.NewLine}{Output}");
    }

    /// The instant vector of <paramref name="promql"/>: each series' labels and value.
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync(new Uri(Address, "/api/v1/query?query=" + Uri.EscapeDataString(promql)));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"query '{promql}' failed: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        var list = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (var item in json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            var value = double.Parse(item.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            list.Add((labels, value));
        }
        return list;
    }

    /// Polls <paramref name="promql"/> until <paramref name="done"/> holds for its result (scrapes come every second);
    /// fails with the last result and the server's output when it does not within the deadline.
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryUntilAsync(string promql,
        Func<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var result = await QueryAsync(promql);
            if (done(result)) return result;
            if (DateTime.UtcNow > deadline)
            {
                var shown = string.Join("; ", result.Select(r => "{" + string.Join(",", r.Labels.Select(l => $"{l.Key}={l.Value}")) + "} " + r.Value.ToString(CultureInfo.InvariantCulture)));
                throw new TimeoutException($"'{promql}' did not reach the expected result; last: [{shown}]{Environment.NewLine}{Output}");
            }
            await Task.Delay(200);
        }
    }

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
        _http.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

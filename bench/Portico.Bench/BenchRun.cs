using System.Diagnostics;
using System.Globalization;

namespace Portico.Bench;

/// One benchmark run: starts everything, checks every scenario answers right, warms up, measures interleaved
/// rounds, runs the growth series and writes the report.
sealed class BenchRun(BenchOptions options) : IAsyncDisposable
{
    public const int BackendPort = 5001, BackendGrpcPort = 5002, NginxPort = 8081, YarpPort = 8082, ExpressPort = 8083,
        HaproxyPort = 8085, PorticoPort = 8091, PorticoRedisPort = 8092, GrowthPort = 8093, PorticoBasePort = 8094, RedisPort = 6391,
        PorticoMetricsPort = 8095, PorticoTelemetryPort = 8096, MetricsListenPort = 9465, TelemetryListenPort = 9466;

    readonly List<ManagedProcess> _processes = [];
    readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    readonly Dictionary<string, List<Sample>> _samples = [];
    readonly List<string> _problems = [];
    readonly Dictionary<Target, (ManagedProcess Process, TimeSpan Ready)> _portico = [];
    readonly List<int> _scrapes = [];
    TimeSpan _lastReady;

    public ManagedProcess ProcessFor(Target target) => _portico[target].Process;

    /// From the process's start to its first answer.
    public TimeSpan ReadyTime(Target target) => _portico[target].Ready;
    readonly DateTime _started = DateTime.UtcNow;

    public BenchOptions Options => options;
    public HttpClient Http => _http;
    public string WrkLog => Path.Combine(options.RunDir, "wrk.log");
    internal BenchCredentials Credentials { get; private set; } = null!;
    internal List<string> Problems => _problems;

    public async Task<int> RunAsync()
    {
        Directory.CreateDirectory(options.RunDir);
        Directory.CreateDirectory(options.Results);
        File.WriteAllText(WrkLog, "");
        Credentials = new BenchCredentials(options.RunDir);

        if (options.Soak)
        {
            await StartAsync("backend", "dotnet", [Path.Combine(options.Out, "backend", "Bench.Backend.dll"), "--http", BackendPort.ToString(), "--grpc", BackendGrpcPort.ToString()], BackendPort, "/hello");
            var target = await StartPorticoAsync("portico", PorticoPort, options.Config, null);
            return await SoakAsync(target, options.Duration, options.Warmup, probeSeconds: 20, judged: true) ? 0 : 1;
        }

        var redis = await StartRedisAsync();
        await StartAsync("backend", "dotnet", [Path.Combine(options.Out, "backend", "Bench.Backend.dll"), "--http", BackendPort.ToString(), "--grpc", BackendGrpcPort.ToString()], BackendPort, "/hello");
        var scenarios = await StartTargetsAsync(redis);
        if (options.Only.Count > 0)
        {
            // A word that is a scenario's whole name picks that scenario alone; any other word picks every name containing it.
            var exact = options.Only.Where(o => scenarios.Any(s => s.Name.Equals(o, StringComparison.OrdinalIgnoreCase))).ToHashSet(StringComparer.OrdinalIgnoreCase);
            scenarios = [.. scenarios.Where(s => options.Only.Any(o => exact.Contains(o) ? s.Name.Equals(o, StringComparison.OrdinalIgnoreCase) : s.Name.Contains(o, StringComparison.OrdinalIgnoreCase)))];
        }

        foreach (var s in scenarios) await CheckAsync(s);
        await CheckScrapesAsync();
        if (options.Warmup > 0)
        {
            Log.Info($"warm-up: {options.Warmup}s per scenario");
            foreach (var s in scenarios) await Wrk.RunAsync(options.WrkScript, s.Target.BaseUrl + s.Path, options.Connections, options.Warmup, s.Headers, WrkLog);
        }
        for (var round = 1; round <= options.Rounds; round++)
        {
            Log.Info($"round {round}/{options.Rounds}");
            for (var i = 0; i < scenarios.Count; i++)
            {
                var s = scenarios[(i + (round - 1) * 3) % scenarios.Count];   // a different order each round
                await Task.Delay(TimeSpan.FromSeconds(options.Smoke ? 0.1 : 1));
                var sample = await MeasureAsync(s, options.Connections, options.Duration);
                if (!_samples.TryGetValue(s.Key, out var list)) _samples[s.Key] = list = [];
                list.Add(sample);
                Log.Info($"  {s.Name,-34} {s.Path,-14} {sample.Wrk.RequestsPerSecond,9:F0} req/s  p99 {sample.Wrk.P99Us / 1000.0,7:F2} ms  " +
                    (sample.CpuUsPerRequest is { } cpu ? $"cpu {cpu:F1} us/req" : "") + (sample.AllocBytesPerRequest is { } a ? $"  alloc {a:F0} B/req" : ""));
            }
        }

        GrowthResults? growth = null;
        if (options.Growth) growth = await new Growth(this).RunAsync(scenarios.First(s => s.Name == "portico" && s.Path == "/hello").Target);
        // The soak's path for a few seconds: it starts, loads, samples and reports (nothing it measures means anything).
        if (options.Smoke && scenarios.FirstOrDefault(s => s.Name == "portico") is { } proxy)
            await SoakAsync(proxy.Target, durationSeconds: 3, warmUpSeconds: 1, probeSeconds: 1, judged: false);

        var stamp = _started.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var report = new Report(options, scenarios, _samples, growth, _problems, Meta());
        var md = Path.Combine(options.Results, stamp + ".md");
        File.WriteAllText(md, report.Markdown());
        File.WriteAllText(Path.Combine(options.Results, stamp + ".tsv"), report.Tsv());
        Console.WriteLine(File.ReadAllText(md));
        Log.Info($"wrote {md}");
        return report.Complete ? 0 : 1;
    }

    /// Runs the soak against <paramref name="portico"/> and writes bench/results/&lt;stamp&gt;-soak.md and .tsv; true when it passed.
    async Task<bool> SoakAsync(Target portico, double durationSeconds, double warmUpSeconds, double probeSeconds, bool judged)
    {
        foreach (var s in SoakScenarios(portico)) await CheckAsync(s);
        var results = await new SoakRun(this, portico).RunAsync(durationSeconds, warmUpSeconds, probeSeconds, judged);
        var report = new SoakReport(results);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var md = Path.Combine(options.Results, stamp + "-soak.md");
        File.WriteAllText(md, report.Markdown());
        File.WriteAllText(Path.Combine(options.Results, stamp + "-soak.tsv"), report.Tsv());
        Console.WriteLine(File.ReadAllText(md));
        Log.Info($"wrote {md}");
        return !judged || report.Passed;
    }

    /// The Portico feature scenarios the soak mixes, with the checks that prove each feature ran.
    List<Scenario> SoakScenarios(Target portico) =>
    [
        new("portico apikey", portico, "/apikey/hello", [$"X-Api-Key: {Credentials.ApiKey}"], "/hello", true),
        new("portico chain (jwt + rate limit)", portico, "/chain/hello", [$"Authorization: Bearer {Credentials.Jwt}"], "/hello", true, CheckRateLimitHeaders),
        new("portico rate limit (memory)", portico, "/limited/hello", [], "/hello", true, CheckRateLimitHeaders),
        new("portico cache hit", portico, "/cached/hello", [], "/hello", true, CheckCached),
        new("portico aggregate (2 parts)", portico, "/aggregate", [], "/hello", true, CheckAggregate),
    ];

    internal Dictionary<string, string> SoakMeta()
    {
        var meta = Meta();
        meta.Remove("run");
        meta.Remove("nginx");
        meta.Remove("haproxy");
        meta.Remove("node");
        meta.Remove("wrk");
        meta["target"] = "portico run -c bench/portico.bench.yaml (memory store, Server GC), backend bench/Bench.Backend, all on loopback";
        return meta;
    }

    async Task<List<Scenario>> StartTargetsAsync(bool redis)
    {
        var backend = _processes[0];
        var direct = new Target("direct", $"http://127.0.0.1:{BackendPort}", () => [], true, "the backend itself, no proxy");
        var yarpProcess = await StartAsync("yarp", "dotnet", [Path.Combine(options.Out, "yarp", "Bench.Yarp.dll"), "--listen", $"127.0.0.1:{YarpPort}", "--backend", $"http://127.0.0.1:{BackendPort}/"], YarpPort, "/hello");
        var yarp = new Target("yarp", $"http://127.0.0.1:{YarpPort}", () => [yarpProcess.Pid], true, "bare YARP 2.3.0, one catch-all route, Server GC");
        var peers = new List<Target> { direct, yarp };

        var nginxDir = Path.Combine(options.RunDir, "nginx");
        Directory.CreateDirectory(Path.Combine(nginxDir, "tmp"));
        if (await TryStartAsync("nginx", "nginx", ["-p", nginxDir + "/", "-e", Path.Combine(nginxDir, "error.log"), "-c", Path.Combine(options.Root, "bench", "peers", "nginx.conf")], NginxPort) is { } nginx)
            peers.Add(new Target("nginx", $"http://127.0.0.1:{NginxPort}", () => ProcStat.WithChildren(nginx.Pid), false, "nginx, 1 worker, upstream keep-alive"));
        if (await TryStartAsync("haproxy", "haproxy", ["-db", "-f", Path.Combine(options.Root, "bench", "peers", "haproxy.cfg")], HaproxyPort) is { } haproxy)
            peers.Add(new Target("haproxy", $"http://127.0.0.1:{HaproxyPort}", () => [haproxy.Pid], false, "HAProxy, 1 thread, http-reuse always"));
        if (await TryStartAsync("express-http-proxy", "node", [Path.Combine(options.Root, "bench", "peers", "node", "express-proxy.js"), ExpressPort.ToString(), $"http://127.0.0.1:{BackendPort}"], ExpressPort) is { } express)
            peers.Add(new Target("express-http-proxy", $"http://127.0.0.1:{ExpressPort}", () => [express.Pid], false, "express 4 + express-http-proxy 2 (Node.js)"));

        var portico = await StartPorticoAsync("portico", PorticoPort, options.Config, null);
        var scenarios = new List<Scenario>();
        foreach (var path in new[] { "/hello", "/big" })
            foreach (var peer in peers) scenarios.Add(new Scenario(peer.Name, peer, path, [], path, false));
        scenarios.Add(new("portico", portico, "/hello", [], "/hello", true));
        scenarios.Add(new("portico", portico, "/big", [], "/big", true));
        if (options.BaselineOut is { } baselineOut)
        {
            // Portico built from another revision (run.sh --baseline), started the same way, for the pure-proxy paths.
            var baseline = await StartPorticoAsync("portico-base", PorticoBasePort, options.Config, null, cli: Path.Combine(baselineOut, "Portico.Cli.dll"));
            scenarios.Add(new("portico-base", baseline, "/hello", [], "/hello", true));
            scenarios.Add(new("portico-base", baseline, "/big", [], "/big", true));
        }
        scenarios.Add(new("portico apikey", portico, "/apikey/hello", [$"X-Api-Key: {Credentials.ApiKey}"], "/hello", true));
        scenarios.Add(new("portico jwt", portico, "/jwt/hello", [$"Authorization: Bearer {Credentials.Jwt}"], "/hello", true));
        scenarios.Add(new("portico rate limit (memory)", portico, "/limited/hello", [], "/hello", true, CheckRateLimitHeaders));
        if (redis)
        {
            var porticoRedis = await StartPorticoAsync("portico-redis", PorticoRedisPort, options.Config, new() { ["PORTICO__store__kind"] = "redis" });
            scenarios.Add(new("portico rate limit (redis)", porticoRedis, "/limited/hello", [], "/hello", true, CheckRateLimitHeaders));
        }
        scenarios.Add(new("portico cache hit", portico, "/cached/hello", [], "/hello", true, CheckCached));
        scenarios.Add(new("portico aggregate (2 parts)", portico, "/aggregate", [], "/hello", true, CheckAggregate));
        scenarios.Add(new("portico json to xml", portico, "/xml/big", ["Accept: application/xml"], "/big", true, CheckXml));
        scenarios.Add(new("portico rest to grpc", portico, "/grpc/items/sku-1", [], "/hello", true, CheckGrpc));
        scenarios.Add(new("portico chain (jwt + rate limit)", portico, "/chain/hello", [$"Authorization: Bearer {Credentials.Jwt}"], "/hello", true, CheckRateLimitHeaders));

        // The same config with telemetry turned on through the environment, as an operator would: metrics alone
        // (the Prometheus listener, scraped as Prometheus would), then everything (metrics, a JSON access log to a
        // file, tracing at ratio 1.0 exported over OTLP/HTTP to the backend's sink, metrics pushed there too).
        var metricsOn = await StartPorticoAsync("portico-metrics", PorticoMetricsPort, options.Config,
            new() { ["PORTICO__telemetry__listen"] = MetricsListenPort.ToString(CultureInfo.InvariantCulture) });
        scenarios.Add(new("portico metrics", metricsOn, "/hello", [], "/hello", true));
        var everything = await StartPorticoAsync("portico-telemetry", PorticoTelemetryPort, options.Config, new()
        {
            ["PORTICO__telemetry__listen"] = TelemetryListenPort.ToString(CultureInfo.InvariantCulture),
            ["PORTICO__telemetry__tracing__enabled"] = "true",
            ["PORTICO__telemetry__tracing__sampleRatio"] = "1",
            ["PORTICO__telemetry__otlp__endpoint"] = $"http://127.0.0.1:{BackendPort}",
            ["PORTICO__telemetry__otlp__protocol"] = "http/protobuf",
            ["PORTICO__telemetry__otlp__interval"] = "5s",
            ["PORTICO__telemetry__accessLog__output"] = Path.Combine(options.RunDir, "access.log"),
        });
        scenarios.Add(new("portico chain + telemetry", everything, "/chain/hello", [$"Authorization: Bearer {Credentials.Jwt}"], "/hello", true, CheckRateLimitHeaders));
        _scrapes.Add(MetricsListenPort);
        _scrapes.Add(TelemetryListenPort);
        return scenarios;
    }

    /// The telemetry targets serve their metrics (the routes' request counts) on their own listeners.
    async Task CheckScrapesAsync()
    {
        foreach (var port in _scrapes)
        {
            try
            {
                var text = await _http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
                if (!text.Contains("portico_route=", StringComparison.Ordinal)) _problems.Add($"the scrape on :{port} has no per-route request metrics");
            }
            catch (HttpRequestException ex)
            {
                _problems.Add($"the scrape on :{port} failed: {ex.Message}");
            }
        }
    }

    static string? CheckRateLimitHeaders(HttpResponseMessage response, string body) =>
        response.Headers.Contains("RateLimit") || response.Headers.Contains("RateLimit-Policy") ? null : "no RateLimit header: the limiter did not run";

    static string? CheckCached(HttpResponseMessage response, string body) =>
        response.Headers.TryGetValues("Cache-Status", out var status) && status.Single().StartsWith("Portico; ", StringComparison.Ordinal) && body.Length == 100
            ? null : "no Cache-Status header or not the 100-byte body: the route is not cached";

    static string? CheckGrpc(HttpResponseMessage response, string body) =>
        body.Contains("\"sku\":\"sku-1\"", StringComparison.Ordinal) && body.Contains("\"stock\":42", StringComparison.Ordinal) ? null : $"not the item as JSON: {body}";

    static string? CheckAggregate(HttpResponseMessage response, string body) =>
        body.StartsWith("{\"first\":", StringComparison.Ordinal) && body.Contains("\"second\":", StringComparison.Ordinal) ? null : "not an aggregate of two parts";

    static string? CheckXml(HttpResponseMessage response, string body) =>
        response.Content.Headers.ContentType?.MediaType?.EndsWith("xml", StringComparison.Ordinal) == true && body.StartsWith('<') ? null : "not XML";

    public async Task<Target> StartPorticoAsync(string name, int port, string config, Dictionary<string, string>? env, string readyPath = "/hello", string? cli = null)
    {
        var environment = Credentials.Environment(port);
        environment["BENCH_REDIS_PORT"] = RedisPort.ToString();
        foreach (var (k, v) in env ?? []) environment[k] = v;
        var process = await StartAsync(name, "dotnet", [cli ?? Path.Combine(options.Out, "portico", "Portico.Cli.dll"), "run", "-c", config, "--no-watch"], port, readyPath, environment);
        var target = new Target(name, $"http://127.0.0.1:{port}", () => [process.Pid], true, cli is null ? "Portico" : $"Portico from {options.BaselineRevision ?? "another revision"}");
        _portico[target] = (process, _lastReady);
        return target;
    }

    async Task<bool> StartRedisAsync()
    {
        if (!OnPath("redis-server")) { _problems.Add("redis-server not installed: Redis scenario skipped"); return false; }
        var dir = Path.Combine(options.RunDir, "redis");
        Directory.CreateDirectory(dir);
        var redis = ManagedProcess.Start("redis", options.RunDir, "redis-server",
            ["--port", RedisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir]);
        _processes.Add(redis);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", RedisPort);
                return true;
            }
            catch (System.Net.Sockets.SocketException) { await Task.Delay(50); }
        }
        throw new BenchException($"redis-server did not start:\n{redis.Tail()}");
    }

    static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, command)));

    async Task<ManagedProcess?> TryStartAsync(string name, string file, string[] args, int port)
    {
        if (!OnPath(file)) { _problems.Add($"{name}: {file} not installed, peer skipped"); return null; }
        return await StartAsync(name, file, args, port, "/hello");
    }

    public async Task<ManagedProcess> StartAsync(string name, string file, string[] args, int port, string readyPath, Dictionary<string, string>? env = null)
    {
        Log.Info($"starting {name} on :{port}");
        var process = ManagedProcess.Start(name, options.RunDir, file, args, env);
        _processes.Add(process);
        _lastReady = await WaitReadyAsync(process, $"http://127.0.0.1:{port}{readyPath}", TimeSpan.FromSeconds(60));
        return process;
    }

    /// Polls until the URL answers (any status below 500); the time it took from the process's start.
    public async Task<TimeSpan> WaitReadyAsync(ManagedProcess process, string url, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new BenchException($"{process.Name} exited:\n{process.Tail()}");
            try
            {
                using var response = await _http.GetAsync(url);
                if ((int)response.StatusCode < 500) return DateTime.UtcNow - process.StartedAt;
            }
            catch (HttpRequestException) { }
            await Task.Delay(5);
        }
        throw new BenchException($"{process.Name} did not answer {url} within {timeout.TotalSeconds}s:\n{process.Tail()}");
    }

    /// Every scenario must answer 200 with the body the backend gives at the same path (or pass its own check).
    async Task CheckAsync(Scenario s)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, s.Target.BaseUrl + s.Path);
        foreach (var h in s.Headers)
        {
            var colon = h.IndexOf(':');
            request.Headers.TryAddWithoutValidation(h[..colon], h[(colon + 1)..].Trim());
        }
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
            throw new BenchException($"{s.Name} GET {s.Path}: HTTP {(int)response.StatusCode}: {body}");
        if (s.Check is { } check)
        {
            if (check(response, body) is { } problem) throw new BenchException($"{s.Name} GET {s.Path}: {problem}");
            return;
        }
        var expected = await _http.GetStringAsync($"http://127.0.0.1:{BackendPort}{s.Baseline}");
        if (body != expected) throw new BenchException($"{s.Name} GET {s.Path}: the body differs from the backend's {s.Baseline}");
    }

    public async Task<Sample> MeasureAsync(Scenario s, int connections, double seconds)
    {
        var pids = s.Target.Pids();
        await using var meter = s.Target.IsDotNet && pids.Count == 1 ? AllocationMeter.Start(pids[0]) : null;
        var cpu0 = ProcStat.CpuTicks(pids);
        var wrk = await Wrk.RunAsync(options.WrkScript, s.Target.BaseUrl + s.Path, connections, seconds, s.Headers, WrkLog);
        var cpu1 = ProcStat.CpuTicks(pids);
        var rss = pids.Count == 0 ? (long?)null : ProcStat.RssBytes(pids);
        var alloc = meter is null ? null : await meter.StopAsync();
        if (wrk.Requests == 0) throw new BenchException($"{s.Name} {s.Path}: wrk completed no request");
        if (wrk.Errors > 0) _problems.Add($"{s.Name} {s.Path}: {wrk.Errors} errors (non-2xx/3xx or socket) in one run");
        return new Sample(wrk,
            pids.Count == 0 ? null : (cpu1 - cpu0) * 1e6 / ProcStat.TicksPerSecond / wrk.Requests,
            alloc is null ? null : (double)alloc / wrk.Requests,
            rss);
    }

    Dictionary<string, string> Meta()
    {
        static string Run(string file, string args)
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                p.WaitForExit();
                return text.Trim().Split('\n')[0];
            }
            catch (System.ComponentModel.Win32Exception) { return "not installed"; }
        }
        return new()
        {
            ["machine"] = $"{File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim()}, {Environment.ProcessorCount} cores",
            ["dotnet"] = Environment.Version.ToString(),
            ["wrk"] = Run("wrk", "-v"),
            ["nginx"] = Run("nginx", "-v"),
            ["haproxy"] = Run("haproxy", "-v"),
            ["node"] = Run("node", "--version"),
            ["run"] = $"{options.Rounds} rounds x {options.Duration}s, {options.Connections} connections, 1 wrk thread, {options.Warmup}s warm-up per scenario" + (options.Smoke ? " (smoke mode: not a measurement)" : ""),
        };
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--) await _processes[i].DisposeAsync();
        _http.Dispose();
    }
}

/// One wrk run with the target's CPU, allocation and memory figures.
sealed record Sample(WrkResult Wrk, double? CpuUsPerRequest, double? AllocBytesPerRequest, long? RssBytes);

using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Configuration;

public sealed class TelemetryConfigTests
{
    const string Base = """
        gateways:
          public: { listen: ["http://127.0.0.1:8080"] }
        services:
          api: { urls: ["http://127.0.0.1:5101"] }

        """;

    [Fact]
    public void Load_NoTelemetrySection_NoListenerNoAccessLog_RequestIdsOn()
    {
        var config = TestConfig.LoadValid(Base);

        config.Telemetry.ShouldBe(TelemetryDefinition.Default);
        config.Telemetry.Listen.ShouldBeNull();
        config.Telemetry.AccessLog.ShouldBeNull();
        config.Telemetry.RequestId.ShouldBe(new RequestIdDefinition("X-Request-Id"));
        config.Gateways[0].Telemetry.ShouldBe(GatewayTelemetry.Default);
    }

    [Fact]
    public void Load_BarePort_IsTheLoopbackListener()
    {
        var config = TestConfig.LoadValid(Base + "telemetry: { listen: 9464 }\n");

        config.Telemetry.Listen.ShouldBe("http://127.0.0.1:9464");
    }

    [Fact]
    public void Load_EveryKey_Bound()
    {
        var config = TestConfig.LoadValid("""
            gateways:
              public:
                listen: ["http://127.0.0.1:8080"]
                accessLog: { statuses: [5xx, 429], sample: 0.5 }
                trustTraceContext: false
              internal:
                listen: ["http://127.0.0.1:8081"]
                accessLog: false
            telemetry:
              listen: "http://0.0.0.0:9464"
              serviceName: edge
              metrics: { enabled: true, path: /prom, otlp: false }
              tracing: { enabled: true, sampleRatio: 0.1 }
              otlp: { endpoint: "http://collector:4318", protocol: http/protobuf, headers: { api-key: "k=v,1" }, interval: 5s }
              accessLog: { output: logs/access.log, statuses: [4xx, 500-504], sample: 0.25 }
              requestId: { header: X-Correlation-Id }
            """);

        var t = config.Telemetry;
        t.Listen.ShouldBe("http://0.0.0.0:9464");
        t.ServiceName.ShouldBe("edge");
        t.Metrics.ShouldBe(new MetricsDefinition(true, "/prom", false));
        t.Tracing.ShouldBe(new TracingDefinition(true, 0.1));
        t.Otlp!.Endpoint.ShouldBe(new Uri("http://collector:4318"));
        t.Otlp.Protocol.ShouldBe("http/protobuf");
        t.Otlp.Headers["api-key"].ShouldBe("k=v,1");
        t.Otlp.Interval.ShouldBe(TimeSpan.FromSeconds(5));
        t.AccessLog!.Output.ShouldBe("logs/access.log");
        t.AccessLog.Statuses.ShouldBe([new StatusRange(400, 499), new StatusRange(500, 504)]);
        t.AccessLog.Sample.ShouldBe(0.25);
        t.RequestId.ShouldBe(new RequestIdDefinition("X-Correlation-Id"));
        config.Gateways[0].Telemetry.AccessLog.ShouldBeTrue();
        config.Gateways[0].Telemetry.Statuses.ShouldBe([new StatusRange(500, 599), new StatusRange(429, 429)]);
        config.Gateways[0].Telemetry.Sample.ShouldBe(0.5);
        config.Gateways[0].Telemetry.TrustTraceContext.ShouldBeFalse();
        config.Gateways[1].Telemetry.AccessLog.ShouldBeFalse();
    }

    [Fact]
    public void Load_SwitchesWrittenAsBooleans()
    {
        var config = TestConfig.LoadValid(Base + "telemetry: { accessLog: true, requestId: false }\n");

        config.Telemetry.AccessLog.ShouldBe(new AccessLogDefinition("stdout", [], 1.0));
        config.Telemetry.RequestId.ShouldBeNull();
    }

    [Theory]
    [InlineData("listen: \"http://127.0.0.1:8080\"", "telemetry.listen", "already used by gateway 'public'")]
    [InlineData("listen: \"https://127.0.0.1:9464\"", "telemetry.listen", "not an http:// listen address")]
    [InlineData("listen: \"http://metrics.local:9464\"", "telemetry.listen", "names a host")]
    [InlineData("listen: 70000", "telemetry.listen", "not a port")]
    [InlineData("listen: [1, 2]", "telemetry.listen", "expected an address")]
    [InlineData("metrics: { path: metrics }", "telemetry.metrics.path", "is not a path")]
    [InlineData("metrics: { path: \"/m?x=1\" }", "telemetry.metrics.path", "is not a path")]
    [InlineData("tracing: { sampleRatio: 2 }", "telemetry.tracing.sampleRatio", "")]
    [InlineData("otlp: { endpoint: \"ftp://collector\" }", "telemetry.otlp.endpoint", "not an http:// or https:// URL")]
    [InlineData("otlp: { protocol: http/json }", "telemetry.otlp.protocol", "not a valid protocol")]
    [InlineData("otlp: { headers: { \"bad header\": x } }", "telemetry.otlp.headers.bad header", "not a header name")]
    [InlineData("otlp: { headers: { key: \"a\\r\\nInjected: 1\" } }", "telemetry.otlp.headers.key", "control characters")]
    [InlineData("accessLog: { statuses: [600] }", "telemetry.accessLog.statuses[0]", "not a status")]
    [InlineData("accessLog: { statuses: [5x] }", "telemetry.accessLog.statuses[0]", "not a status")]
    [InlineData("accessLog: { statuses: [504-500] }", "telemetry.accessLog.statuses[0]", "not a status")]
    [InlineData("accessLog: { sample: -1 }", "telemetry.accessLog.sample", "")]
    [InlineData("accessLog: { output: \"a\\u0000b\" }", "telemetry.accessLog.output", "not a file path")]
    [InlineData("requestId: { header: Authorization }", "telemetry.requestId.header", "carries something else")]
    [InlineData("requestId: { header: traceparent }", "telemetry.requestId.header", "carries something else")]
    [InlineData("requestId: { header: \"X Id\" }", "telemetry.requestId.header", "not a header name")]
    [InlineData("serviceName: \"a\\nb\"", "telemetry.serviceName", "control characters")]
    [InlineData("metrcs: {}", "telemetry.metrcs", "unknown key")]
    public void Load_BadTelemetryValue_RefusedAtItsPath(string yaml, string path, string message)
    {
        var errors = TestConfig.Errors(Base + "telemetry:\n  " + yaml + "\n");

        errors.ErrorAt(path).Message.ShouldContain(message);
    }

    [Fact]
    public void Load_BadGatewayAccessLog_RefusedAtItsPath()
    {
        var errors = TestConfig.Errors("""
            gateways:
              public:
                listen: ["http://127.0.0.1:8080"]
                accessLog: { statuses: [abc], sampel: 1 }
                trustTraceContext: maybe
            """);

        errors.ErrorAt("gateways.public.accessLog.statuses[0]").Message.ShouldContain("not a status");
        errors.ErrorAt("gateways.public.accessLog.sampel").Hint.ShouldNotBeNull().ShouldContain("sample");
        errors.ErrorAt("gateways.public.trustTraceContext");
    }

    [Theory]
    [InlineData("404", 404, 404)]
    [InlineData("4xx", 400, 499)]
    [InlineData("5XX", 500, 599)]
    [InlineData("500-504", 500, 504)]
    public void StatusRange_Parses(string text, int from, int to)
    {
        StatusRange.TryParse(text, out var range).ShouldBeTrue();
        range.ShouldBe(new StatusRange(from, to));
        StatusRange.TryParse(range.ToString(), out var again).ShouldBeTrue();
        again.ShouldBe(range);
    }

    [Theory]
    [InlineData("")]
    [InlineData("99")]
    [InlineData("600")]
    [InlineData("6xx")]
    [InlineData("4x")]
    [InlineData("-1")]
    [InlineData("500-")]
    [InlineData("500-499")]
    [InlineData("+404")]
    [InlineData("4 04")]
    public void StatusRange_Refuses(string text) => StatusRange.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void Plan_NothingConfigured_NothingExported()
    {
        var plan = TelemetryServices.PlanFor(TelemetryDefinition.Default, _ => null);

        plan.ShouldBe(new TelemetryServices.Plan(false, false, false, false));
    }

    [Fact]
    public void Plan_OtlpEndpointFromTheEnvironment_ExportsMetricsAndTraces_UnlessTheSdkIsDisabled()
    {
        var env = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317" };

        TelemetryServices.PlanFor(TelemetryDefinition.Default, env.GetValueOrDefault).ShouldBe(new TelemetryServices.Plan(false, true, true, true));
        env["OTEL_SDK_DISABLED"] = "true";
        TelemetryServices.PlanFor(TelemetryDefinition.Default, env.GetValueOrDefault).ShouldBe(new TelemetryServices.Plan(false, false, false, false));
    }

    [Fact]
    public void Plan_ListenerAndTracingWithoutOtlp_ScrapeAndInProcessSpansOnly()
    {
        var t = TelemetryDefinition.Default with { Listen = "http://127.0.0.1:9464", Tracing = new TracingDefinition(true, 1) };

        TelemetryServices.PlanFor(t, _ => null).ShouldBe(new TelemetryServices.Plan(true, false, true, false));
        TelemetryServices.PlanFor(t with { Metrics = t.Metrics with { Enabled = false } }, _ => null).Scrape.ShouldBeFalse();
    }
}

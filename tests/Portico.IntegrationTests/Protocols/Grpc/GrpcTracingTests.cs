using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Portico.IntegrationTests.Telemetry;

namespace Portico.IntegrationTests.Protocols.Grpc;

public sealed class GrpcTracingTests
{
    [Fact]
    public async Task Unary_TracingOn_OneTraceWithServerAndClientSpanWhoseContextTheServiceReceivesAsMetadata()
    {
        var ct = TestContext.Current.CancellationToken;
        var spans = new ExportedSpans();
        await using var server = await StockServer.StartAsync();
        await using var gateway = await TracedGateway.StartAsync($$"""
            services:
              stock: { protocol: grpc, urls: ["{{server.Url}}"], proto: "{{StockServer.ProtoPath}}", timeout: 5s }
            routes:
              - name: item
                match: { path: "/api/items/{sku}", methods: [GET] }
                service: stock
                grpc: { method: stock.v1.Stock/GetItem }
            """, spans);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items/A1");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var received = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["caller"]!["traceparent"]!.GetValue<string>();
        var serverSpan = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        serverSpan.DisplayName.ShouldBe("GET item");
        serverSpan.TraceId.ToHexString().ShouldBe("0af7651916cd43dd8448eb211c80319c");
        var trace = spans.Of(serverSpan.TraceId);
        var call = trace.Where(s => s.Kind == ActivityKind.Client).ShouldHaveSingleItem();
        trace.Count.ShouldBe(2);
        call.ParentSpanId.ShouldBe(serverSpan.SpanId);
        call.DisplayName.ShouldBe("stock.v1.Stock/GetItem");
        call.GetTagItem("rpc.system").ShouldBe("grpc");
        call.GetTagItem("rpc.service").ShouldBe("stock.v1.Stock");
        call.GetTagItem("rpc.method").ShouldBe("GetItem");
        call.GetTagItem("rpc.grpc.status_code").ShouldBe(0);
        call.GetTagItem("portico.service").ShouldBe("stock");
        TracedGateway.Parse(received).ShouldBe((serverSpan.TraceId.ToHexString(), call.SpanId.ToHexString()));
    }

    [Fact]
    public async Task Unary_ServiceAnswersNotFound_ClientSpanCarriesTheStatusAsAnError()
    {
        var ct = TestContext.Current.CancellationToken;
        var spans = new ExportedSpans();
        await using var server = await StockServer.StartAsync();
        await using var gateway = await TracedGateway.StartAsync($$"""
            services:
              stock: { protocol: grpc, urls: ["{{server.Url}}"], proto: "{{StockServer.ProtoPath}}", timeout: 5s }
            routes:
              - name: item
                match: { path: "/api/items/{sku}", methods: [GET] }
                service: stock
                grpc: { method: stock.v1.Stock/GetItem }
            """, spans);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/items/missing", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var serverSpan = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        var call = spans.Of(serverSpan.TraceId).Single(s => s.Kind == ActivityKind.Client);
        call.GetTagItem("rpc.grpc.status_code").ShouldBe(5);
        call.Status.ShouldBe(ActivityStatusCode.Error);
        serverSpan.Status.ShouldBe(ActivityStatusCode.Unset);
    }
}

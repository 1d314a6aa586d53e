using System.Diagnostics;
using System.Net;
using Portico.IntegrationTests.Telemetry;

namespace Portico.IntegrationTests.Protocols.GraphQL;

public sealed class GraphQLTracingTests
{
    [Fact]
    public async Task Query_TracingOn_ClientSpanWhoseContextTheServiceReceivesOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var spans = new ExportedSpans();
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await TracedGateway.StartAsync($$"""
            services:
              catalog: { protocol: graphql, urls: ["{{server.Url}}"], timeout: 5s }
            routes:
              - name: product
                match: { path: "/api/products/{id}", methods: [GET] }
                service: catalog
                graphql: { query: "query($id: ID!) { product(id: $id) { id name } }", select: product }
            """, spans);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/products/p1");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var serverSpan = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        serverSpan.TraceId.ToHexString().ShouldBe("0af7651916cd43dd8448eb211c80319c");
        var call = spans.Of(serverSpan.TraceId).Where(s => s.Kind == ActivityKind.Client).ShouldHaveSingleItem();
        call.ParentSpanId.ShouldBe(serverSpan.SpanId);
        call.DisplayName.ShouldBe("POST catalog");
        call.GetTagItem("http.response.status_code").ShouldBe(200);
        var received = server.State.Requests.ShouldHaveSingleItem().Headers["traceparent"];
        received.ShouldNotContain(",");
        TracedGateway.Parse(received).ShouldBe((serverSpan.TraceId.ToHexString(), call.SpanId.ToHexString()));
    }
}

using System.Diagnostics;
using System.Net;
using System.Text;
using Portico.IntegrationTests.RateLimiting;
using Portico.IntegrationTests.Telemetry;

namespace Portico.IntegrationTests.Protocols.Amqp;

[Collection(BrokerCollection.Name)]
public sealed class AmqpTracingTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Publish_TracingOn_OneTraceWithServerAndProducerSpanWhoseContextTheConsumerReads()
    {
        var ct = TestContext.Current.CancellationToken;
        var spans = new ExportedSpans();
        var exchange = $"traced-{Guid.NewGuid():N}";
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareAsync(exchange, "order.#"));
        await using var gateway = await TracedGateway.StartAsync($$"""
            services:
              orders: { protocol: amqp, url: "{{fixture.Broker.Url}}", timeout: 5s, recoveryInterval: 200ms }
            routes:
              - name: place-order
                match: { path: "/api/orders", methods: [POST] }
                service: orders
                amqp: { exchange: {{exchange}}, routingKey: order.placed }
            """, spans);
        using var client = await gateway.ReadyClientAsync();

        using var body = new StringContent("""{"sku":"A1"}""", Encoding.UTF8, "application/json");
        var response = await client.PostAsync("/api/orders", body, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => !broker.Messages.IsEmpty, TimeSpan.FromSeconds(10));
        var received = broker.Messages.Single().Header("traceparent").ShouldNotBeNull();
        var serverSpan = await spans.ServerSpanAsync(gateway.BaseAddress().Port, "/api/orders");
        serverSpan.DisplayName.ShouldBe("POST place-order");
        var trace = spans.Of(serverSpan.TraceId);
        var publish = trace.Where(s => s.Kind == ActivityKind.Producer).ShouldHaveSingleItem();
        trace.Count.ShouldBe(2);
        publish.ParentSpanId.ShouldBe(serverSpan.SpanId);
        publish.DisplayName.ShouldBe($"publish {exchange}");
        publish.GetTagItem("messaging.system").ShouldBe("rabbitmq");
        publish.GetTagItem("messaging.destination.name").ShouldBe(exchange);
        publish.GetTagItem("messaging.rabbitmq.destination.routing_key").ShouldBe("order.placed");
        publish.GetTagItem("portico.service").ShouldBe("orders");
        TracedGateway.Parse(received).ShouldBe((serverSpan.TraceId.ToHexString(), publish.SpanId.ToHexString()));
    }
}

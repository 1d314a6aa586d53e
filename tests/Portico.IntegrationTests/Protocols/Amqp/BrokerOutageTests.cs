using System.Net;
using System.Text;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Protocols.Amqp;

/// The broker goes away and comes back while gateways run: routes answer 503 meanwhile and work again after,
/// without restarting the gateway; a gateway started while the broker is down starts and connects later.
[Collection(BrokerCollection.Name)]
public sealed class BrokerOutageTests(BrokerFixture fixture)
{
    string Yaml(string exchange) => $$"""
        services:
          orders: { protocol: amqp, url: "{{fixture.Broker.Url}}", timeout: 2s, recoveryInterval: 200ms }
        routes:
          - name: place-order
            match: { path: "/api/orders", methods: [POST] }
            service: orders
            amqp: { exchange: {{exchange}}, routingKey: order.placed }
        """;

    static StringContent Order() => new("""{"sku":"A1"}""", Encoding.UTF8, "application/json");

    [Fact]
    public async Task BrokerStopped_Answers503_AndRecoversAfterRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = $"orders-{Guid.NewGuid():N}";
        await using (var setup = await BrokerClient.ConnectAsync(fixture.Broker.Url)) await setup.DeclareAsync(exchange, "order.#", durable: true);
        await using var running = await GatewayUnderTest.StartAsync(Yaml(exchange));
        using var client = await running.ReadyClientAsync();
        using var firstOrder = Order();
        using var first = await client.PostAsync("/api/orders", firstOrder, ct);
        first.StatusCode.ShouldBe(HttpStatusCode.Accepted);

        await fixture.Broker.StopAsync();
        using var down = await Poll.UntilAsync(() => client.PostAsync("/api/orders", Order(), ct), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        // A gateway started now finds no broker: it starts anyway and answers 503.
        await using var startedDuringOutage = await GatewayUnderTest.StartAsync(Yaml(exchange));
        using var lateClient = startedDuringOutage.CreateClient();
        using var lateOrder = Order();
        using var lateDown = await lateClient.PostAsync("/api/orders", lateOrder, ct);
        await fixture.Broker.StartAsync();
        // A node killed moments after a declaration can lose it; consumers declare their queues again on
        // reconnect, and so does this one (idempotent when the queue survived).
        await using (var again = await BrokerClient.ConnectAsync(fixture.Broker.Url)) await again.DeclareAsync(exchange, "order.#", durable: true);
        using var up = await Poll.UntilAsync(() => client.PostAsync("/api/orders", Order(), ct), r => r.StatusCode == HttpStatusCode.Accepted, TimeSpan.FromSeconds(30));
        using var lateUp = await Poll.UntilAsync(() => lateClient.PostAsync("/api/orders", Order(), ct), r => r.StatusCode == HttpStatusCode.Accepted, TimeSpan.FromSeconds(30));

        down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(down, ct);
        problem.Type.ShouldBe("urn:portico:problem:broker-unavailable");
        down.Headers.RetryAfter.ShouldNotBeNull();
        lateDown.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        up.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        lateUp.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        // The message ids the gateways accepted after the restart are in the (durable) queue.
        await using var check = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await check.ConsumeAsync($"{exchange}.q");
        var ids = new[] { up, lateUp }.Select(r => r.Headers.GetValues("Portico-Message-Id").Single()).ToList();
        await Poll.UntilAsync(() => ids.All(id => check.Messages.Any(m => m.Properties.MessageId == id)), TimeSpan.FromSeconds(10));
    }
}

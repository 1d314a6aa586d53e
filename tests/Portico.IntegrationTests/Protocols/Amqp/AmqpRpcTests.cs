using System.Net;
using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Protocols.Amqp;

[Collection(BrokerCollection.Name)]
public sealed class AmqpRpcTests(BrokerFixture fixture)
{
    Task<GatewayUnderTest> StartGatewayAsync(string queue) => GatewayUnderTest.StartAsync($$"""
        services:
          quotes: { protocol: amqp, url: "{{fixture.Broker.Url}}", timeout: 5s }
        routes:
          - name: quote
            match: { path: "/api/quotes/{sku}", methods: [POST] }
            service: quotes
            amqp: { routingKey: {{queue}}, rpc: true }
          - name: quote-slow
            match: { path: "/api/slow-quotes", methods: [POST] }
            service: quotes
            timeout: 300ms
            amqp: { routingKey: {{queue}}, rpc: true }
        """);

    [Fact]
    public async Task Rpc_ConsumerReplies_TheReplyIsTheResponse()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = $"quotes-{Guid.NewGuid():N}";
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ServeAsync(await broker.DeclareQueueAsync(queue), body => $$"""{"quoted":{{body}}}""", "application/json", 201);
        await using var gateway = await StartGatewayAsync(queue);
        using var client = await gateway.ReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/quotes/A1") { Content = new StringContent("""{"qty":3}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Correlation-Id", "client-corr");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        (await response.Content.ReadAsStringAsync(ct)).ShouldBe("""{"quoted":{"qty":3}}""");
        var served = broker.Messages.Single();
        served.Properties.ReplyTo.ShouldStartWith("amq.rabbitmq.reply-to");
        served.Properties.CorrelationId.ShouldBe(response.Headers.GetValues("Portico-Message-Id").Single());
        served.Header("x-correlation-id").ShouldBe("client-corr");
    }

    [Fact]
    public async Task Rpc_ConcurrentCalls_EachGetsItsOwnReply()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = $"quotes-{Guid.NewGuid():N}";
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ServeAsync(await broker.DeclareQueueAsync(queue), body => body.ToUpperInvariant(), "text/plain", 200);
        await using var gateway = await StartGatewayAsync(queue);
        using var client = await gateway.ReadyClientAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.PostAsync("/api/quotes/x", new StringContent($"call-{i}"), ct)));

        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync(ct)));
        bodies.ShouldBe(Enumerable.Range(0, 20).Select(i => $"CALL-{i}"));
    }

    [Fact]
    public async Task Rpc_NoReplyInTime_Answers504()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = $"quotes-{Guid.NewGuid():N}";
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareQueueAsync(queue));
        await using var gateway = await StartGatewayAsync(queue);
        using var client = await gateway.ReadyClientAsync();

        using var content = new StringContent("{}");
        using var response = await client.PostAsync("/api/slow-quotes", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        (await ProblemResponse.ReadAsync(response, ct)).Type.ShouldBe("urn:portico:problem:upstream-timeout");
        broker.Messages.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Rpc_NoQueue_Answers503Unroutable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await StartGatewayAsync($"nobody-{Guid.NewGuid():N}");
        using var client = await gateway.ReadyClientAsync();

        using var content = new StringContent("{}");
        using var response = await client.PostAsync("/api/quotes/x", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ProblemResponse.ReadAsync(response, ct)).Type.ShouldBe("urn:portico:problem:message-unroutable");
    }
}

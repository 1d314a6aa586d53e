using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Portico.Identity;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Protocols.Amqp;

[Collection(BrokerCollection.Name)]
public sealed class AmqpPublishTests(BrokerFixture fixture)
{
    /// Stands in for edge authentication: sets the identity feature before routing.
    sealed class FixedIdentity : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Features.Set(new GatewayIdentity("user-42", "shop-app", ["orders:write"], "apikey"));
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    static string NewExchange() => $"orders-{Guid.NewGuid():N}";

    Task<GatewayUnderTest> StartGatewayAsync(string exchange) => GatewayUnderTest.StartAsync($$"""
        services:
          orders: { protocol: amqp, url: "{{fixture.Broker.Url}}", timeout: 5s, recoveryInterval: 200ms }
        routes:
          - name: place-order
            match: { path: "/api/orders", methods: [POST] }
            service: orders
            amqp: { exchange: {{exchange}}, routingKey: order.placed, contentTypes: [application/json] }
          - name: order-by-kind
            match: { path: "/api/orders/{kind}", methods: [POST] }
            service: orders
            amqp: { exchange: {{exchange}}, routingKey: "order.{kind}" }
          - name: nowhere
            match: { path: "/api/nowhere", methods: [POST] }
            service: orders
            amqp: { exchange: no-such-exchange-{{exchange}}, routingKey: x }
        """, services: s => s.AddSingleton<IStartupFilter, FixedIdentity>());

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Publish_50Concurrent_Every202MessageIdIsReceivedExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = NewExchange();
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareAsync(exchange, "order.#"));
        await using var gateway = await StartGatewayAsync(exchange);
        using var client = await gateway.ReadyClientAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.PostAsync("/api/orders", Json($$"""{"order":{{i}}}"""), ct)));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Accepted);
        var accepted = new List<string>();
        foreach (var response in responses)
        {
            var id = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["messageId"]!.GetValue<string>();
            response.Headers.GetValues("Portico-Message-Id").Single().ShouldBe(id);
            accepted.Add(id);
        }
        await Poll.UntilAsync(() => broker.Messages.Count >= 50, TimeSpan.FromSeconds(10));
        var received = broker.Messages.Select(m => m.Properties.MessageId!).ToList();
        received.Count.ShouldBe(50);
        received.Distinct().Count().ShouldBe(50);
        received.Order().ShouldBe(accepted.Order());
        broker.Messages.Select(m => m.Body).Order().ShouldBe(Enumerable.Range(0, 50).Select(i => $$"""{"order":{{i}}}""").Order());
    }

    [Fact]
    public async Task Publish_Message_CarriesContentTypeCorrelationIdentityAndPersistence()
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = NewExchange();
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareAsync(exchange, "order.#"));
        await using var gateway = await StartGatewayAsync(exchange);
        using var client = await gateway.ReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = Json("""{"sku":"A1"}""") };
        request.Headers.Add("X-Correlation-Id", "corr-7");
        request.Headers.Add("X-Api-Key", "secret");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => !broker.Messages.IsEmpty, TimeSpan.FromSeconds(10));
        var message = broker.Messages.Single();
        message.RoutingKey.ShouldBe("order.placed");
        message.Properties.ContentType.ShouldBe("application/json; charset=utf-8");
        message.Properties.CorrelationId.ShouldBe("corr-7");
        message.Properties.DeliveryMode.ShouldBe(RabbitMQ.Client.DeliveryModes.Persistent);
        message.Header("X-User-Id").ShouldBe("user-42");
        message.Header("X-Consumer").ShouldBe("shop-app");
        message.Header("X-Api-Key").ShouldBeNull();
        message.Properties.Headers!.Keys.ShouldNotContain(k => k.Equals("x-api-key", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Publish_RoutingKeyWithPathValue_RoutesByIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = NewExchange();
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareAsync(exchange, "order.express"));
        await using var gateway = await StartGatewayAsync(exchange);
        using var client = await gateway.ReadyClientAsync();

        using var expressContent = new StringContent("fast", Encoding.UTF8, "text/plain");
        using var express = await client.PostAsync("/api/orders/express", expressContent, ct);
        using var slowContent = new StringContent("slow", Encoding.UTF8, "text/plain");
        using var slow = await client.PostAsync("/api/orders/slow", slowContent, ct);

        express.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        slow.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ProblemResponse.ReadAsync(slow, ct)).Type.ShouldBe("urn:portico:problem:message-unroutable");
        await Poll.UntilAsync(() => !broker.Messages.IsEmpty, TimeSpan.FromSeconds(10));
        broker.Messages.Single().RoutingKey.ShouldBe("order.express");
    }

    [Fact]
    public async Task Publish_NoQueueBound_Answers503Unroutable()
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = NewExchange();
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.DeclareExchangeAsync(exchange);
        await using var gateway = await StartGatewayAsync(exchange);
        using var client = await gateway.ReadyClientAsync();

        using var content = Json("{}");
        using var response = await client.PostAsync("/api/orders", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:message-unroutable");
        problem.Service.ShouldBe("orders");
    }

    [Fact]
    public async Task Publish_QueueFullAndRejectingPublishes_Answers503Nacked()
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = NewExchange();
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        // A queue that holds one message and refuses more makes the broker nack the next publish.
        await broker.DeclareAsync(exchange, "order.#", queueArguments: new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "reject-publish" });
        await using var gateway = await StartGatewayAsync(exchange);
        using var client = await gateway.ReadyClientAsync();

        using var firstContent = Json("{}");
        using var first = await client.PostAsync("/api/orders", firstContent, ct);
        using var secondContent = Json("{}");
        using var second = await client.PostAsync("/api/orders", secondContent, ct);

        first.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        second.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ProblemResponse.ReadAsync(second, ct)).Type.ShouldBe("urn:portico:problem:message-nacked");
        second.Headers.Contains("Portico-Message-Id").ShouldBeFalse();
    }

    [Theory]
    [InlineData("text/plain", "{\"sku\":\"A1\"}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData(null, "{\"sku\":\"A1\"}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", "not json", HttpStatusCode.BadRequest)]
    public async Task Publish_NotJsonToJsonOnlyRoute_IsRefusedAndNothingIsPublished(string? contentType, string body, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = NewExchange();
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareAsync(exchange, "order.#"));
        await using var gateway = await StartGatewayAsync(exchange);
        using var client = await gateway.ReadyClientAsync();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);

        using var refused = await client.PostAsync("/api/orders", content, ct);
        using var acceptedContent = Json("""{"after":true}""");
        using var accepted = await client.PostAsync("/api/orders", acceptedContent, ct);

        refused.StatusCode.ShouldBe(expected);
        refused.Headers.Contains("Portico-Message-Id").ShouldBeFalse();
        accepted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        // Messages of one channel arrive in order: once the later one is here, an earlier one would be too.
        await Poll.UntilAsync(() => !broker.Messages.IsEmpty, TimeSpan.FromSeconds(10));
        broker.Messages.Select(m => m.Body).ShouldBe(["""{"after":true}"""]);
    }

    [Fact]
    public async Task Publish_ExchangeDoesNotExist_Answers502AndTheNextPublishStillWorks()
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = NewExchange();
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareAsync(exchange, "order.#"));
        await using var gateway = await StartGatewayAsync(exchange);
        using var client = await gateway.ReadyClientAsync();

        using var refusedContent = Json("{}");
        using var refused = await client.PostAsync("/api/nowhere", refusedContent, ct);
        using var nextContent = Json("{}");
        using var next = await client.PostAsync("/api/orders", nextContent, ct);

        refused.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var problem = await ProblemResponse.ReadAsync(refused, ct);
        problem.Type.ShouldBe("urn:portico:problem:broker-refused");
        problem.Text.ShouldContain("NOT_FOUND");
        next.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }
}

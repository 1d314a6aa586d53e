using System.Net;
using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Protocols.Amqp;

/// AMQP routes without a reachable or configured broker: the gateway starts and answers 503.
public sealed class AmqpWithoutBrokerTests
{
    static Task<GatewayUnderTest> StartAsync(string url) => GatewayUnderTest.StartAsync($$"""
        services:
          orders: { protocol: amqp, url: "{{url}}", required: false }
        routes:
          - name: place-order
            match: { path: "/api/orders", methods: [POST] }
            service: orders
            amqp: { exchange: orders, routingKey: order.placed, contentTypes: [application/json] }
        """);

    [Fact]
    public async Task Publish_NoBrokerConfigured_Answers503SayingSo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await StartAsync("");
        using var client = gateway.CreateClient();

        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/orders", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:broker-not-configured");
        problem.Text.ShouldContain("No message broker is configured");
    }

    [Fact]
    public async Task Publish_NoBrokerConfiguredAndNotJson_Answers415ForTheRequestFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await StartAsync("");
        using var client = gateway.CreateClient();

        using var content = new StringContent("two cups", Encoding.UTF8, "text/plain");
        using var response = await client.PostAsync("/api/orders", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        (await ProblemResponse.ReadAsync(response, ct)).Type.ShouldBe("urn:portico:problem:unsupported-media-type");
    }

    [Fact]
    public async Task Publish_BrokerUnreachable_GatewayStartsAndAnswers503WithoutTheCredentials()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await StartAsync($"amqp://portico:s3cret-pass@127.0.0.1:{ClosedPort.Next()}/");
        using var client = gateway.CreateClient();

        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/orders", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:broker-unavailable");
        problem.Text.ShouldNotContain("s3cret");
    }
}

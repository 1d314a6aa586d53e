using System.Net;
using System.Text;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.Protocols.Amqp;
using Portico.IntegrationTests.RateLimiting;
using Portico.Problems;

namespace Portico.IntegrationTests.Hostile;

/// A token whose identity holds CR/LF, NUL or DEL never becomes an AMQP header: the caller gets 401 and the real
/// RabbitMQ broker receives nothing, while a clean token's identity arrives.
[Collection(BrokerCollection.Name)]
public sealed class HeaderInjectionAmqpTests(BrokerFixture fixture)
{
    public static readonly TheoryData<string> Breaks = new() { "\r\n", "\n", "\0", "\x7f" };

    static HttpRequestMessage Request(HttpMethod method, string path, string token, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    [Theory]
    [MemberData(nameof(Breaks))]
    public async Task AmqpHeaders_IdentityWithControl_Refused401AndNothingPublished(string brk)
    {
        var ct = TestContext.Current.CancellationToken;
        var exchange = $"hostile-{Guid.NewGuid():N}";
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ConsumeAsync(await broker.DeclareAsync(exchange, "order.#"));
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              orders: { protocol: amqp, url: "{{fixture.Broker.Url}}", timeout: 5s, recoveryInterval: 200ms }
            auth:
              jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{idp.JwksUrl}}", clockSkew: 0s }
            routes:
              - name: place-order
                match: { path: "/api/orders", methods: [POST] }
                service: orders
                auth: [jwt]
                amqp: { exchange: {{exchange}}, routingKey: order.placed }
            """);
        using var client = await gateway.ReadyClientAsync();

        using var hostileRequest = Request(HttpMethod.Post, "/api/orders", idp.Token($"alice{brk}X-User-Id: root"), "{\"order\":1}");
        using var hostile = await client.SendAsync(hostileRequest, ct);
        using var groupsRequest = Request(HttpMethod.Post, "/api/orders",
            idp.Token("alice", claims: new Dictionary<string, object> { ["groups"] = new[] { $"ops{brk}root" } }), "{\"order\":2}");
        using var groups = await client.SendAsync(groupsRequest, ct);

        hostile.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ProblemResponse.ReadAsync(hostile, ct)).Type.ShouldBe(Problem.Types.Unauthorized);
        groups.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // A clean publish after the refused ones: once it arrives, anything published before it would have too.
        using var cleanRequest = Request(HttpMethod.Post, "/api/orders", idp.Token("alice"), "{\"order\":3}");
        using var clean = await client.SendAsync(cleanRequest, ct);
        clean.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Poll.UntilAsync(() => !broker.Messages.IsEmpty, TimeSpan.FromSeconds(10));
        var message = broker.Messages.ShouldHaveSingleItem();
        message.Body.ShouldBe("{\"order\":3}");
        message.Header("X-User-Id").ShouldBe("alice");
    }

    [Fact]
    public async Task AmqpRpcReply_ContentTypeWithLineBreak_Refused502NamingService()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = $"hostile-rpc-{Guid.NewGuid():N}";
        await using var broker = await BrokerClient.ConnectAsync(fixture.Broker.Url);
        await broker.ServeAsync(await broker.DeclareQueueAsync(queue), _ => "{}", "application/json\r\nSet-Cookie: session=stolen", 200);
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              quotes: { protocol: amqp, url: "{{fixture.Broker.Url}}", timeout: 5s }
            routes:
              - name: quote
                match: { path: "/api/quotes", methods: [POST] }
                service: quotes
                amqp: { routingKey: {{queue}}, rpc: true }
            """);
        using var client = await gateway.ReadyClientAsync();

        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/quotes", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe(Problem.Types.UpstreamError);
        problem.Service.ShouldBe("quotes");
        response.Headers.Contains("Set-Cookie").ShouldBeFalse();
        broker.Messages.ShouldHaveSingleItem();
    }
}

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Protocols.Grpc;

/// Routes defined by the google.api.http annotations in stock.proto (`grpc: { annotations: true }`).
public sealed class GrpcAnnotationRouteTests
{
    static Task<GatewayUnderTest> StartGatewayAsync(StockServer server) => GatewayUnderTest.StartAsync($$"""
        gateways:
          default: { listen: ["http://127.0.0.1:0"], formats: [json, xml] }
        services:
          stock: { protocol: grpc, urls: ["{{server.Url}}"], proto: "{{StockServer.ProtoPath}}" }
        routes:
          - name: stock
            match: { path: /api }
            service: stock
            headers: { request: { set: { X-Tenant: acme } }, response: { set: { X-Route-Family: stock } } }
            grpc: { annotations: true }
        """);

    [Fact]
    public async Task Get_AnnotatedPathUnderPrefix_CallsTheMethodWithPathQueryAndRouteHeaders()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/v1/items/A1?minQuantity=1", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("X-Route-Family").ShouldBe(["stock"]);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        json["sku"]!.GetValue<string>().ShouldBe("A1");
        json["quantity"]!.GetValue<string>().ShouldBe("9007199254740994");
        json["caller"]!["x-tenant"]!.GetValue<string>().ShouldBe("acme");
    }

    [Fact]
    public async Task Post_AdditionalBindingWithVerbAndWholeBody_FillsTheMessageFromPathAndBody()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        // body: "*" — the query is not read, so minQuantity=7 there has no effect.
        using var content = new StringContent("""{"minQuantity":2}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/v1/items/B2:check?minQuantity=7", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        json["sku"]!.GetValue<string>().ShouldBe("B2");
        json["quantity"]!.GetValue<string>().ShouldBe("9007199254740995");
    }

    [Fact]
    public async Task Put_NestedPathVariablesBodyFieldAndResponseBody_AnswerOnlyTheResponseField()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        using var content = new StringContent("""{"name":"Bolt","quantity":"3"}""", Encoding.UTF8, "application/json");
        using var response = await client.PutAsync("/api/v1/shelves/s1/items/C3", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsObject();
        json["sku"]!.GetValue<string>().ShouldBe("C3");
        json["name"]!.GetValue<string>().ShouldBe("Bolt");
        json["quantity"]!.GetValue<string>().ShouldBe("3");
        json["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["shelves/s1"]);
        json.ContainsKey("where").ShouldBeFalse();
    }

    [Fact]
    public async Task Put_BodyFieldOfWrongType_Answers400NamingTheNestedFieldWithoutCallingUpstream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        using var content = new StringContent("""{"name":"Bolt","quantity":"many"}""", Encoding.UTF8, "application/json");
        using var response = await client.PutAsync("/api/v1/shelves/s1/items/C3", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ProblemResponse.ReadAsync(response, ct)).Text.ShouldContain("item.quantity");
        server.State.Calls.ShouldBe(0);
    }

    [Fact]
    public async Task Get_StreamingBinding_AnswersJsonArray()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/v1/items?count=3", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsArray().Select(i => i!["sku"]!.GetValue<string>()).ShouldBe(["sku-0", "sku-1", "sku-2"]);
    }

    [Fact]
    public async Task Requests_OutsideTheAnnotations_AreNotRouted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        using var withoutPrefix = await client.GetAsync("/v1/items/A1", ct);
        using var wrongMethod = await client.DeleteAsync("/api/v1/items/A1", ct);
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var wrongShape = await client.PutAsync("/api/v1/racks/s1/items/C3", content, ct);

        withoutPrefix.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        wrongMethod.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        wrongMethod.Content.Headers.Allow.ShouldContain("GET");
        wrongMethod.Content.Headers.Allow.ShouldNotContain("DELETE");
        wrongShape.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        server.State.Calls.ShouldBe(0);
    }

    [Fact]
    public async Task Get_AcceptXml_AnswersXml()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/items/A1");
        request.Headers.Add("Accept", "application/xml");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(ct)).ShouldContain("<sku>A1</sku>");
    }
}

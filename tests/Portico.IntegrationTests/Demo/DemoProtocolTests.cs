using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Portico.Demo;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Demo;

/// The demo's GraphQL catalog route and its broker route without a broker.
[Collection(DemoCollection.Name)]
public sealed class DemoProtocolTests
{
    [Fact]
    public async Task DemoProduct_GraphQLCatalog_AnswersTheProductAsJsonAndXml()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(demo.GatewayUrl) };
        using var xmlRequest = new HttpRequestMessage(HttpMethod.Get, "/api/products/2");
        xmlRequest.Headers.Add("Accept", "application/xml");

        var json = JsonNode.Parse(await client.GetStringAsync("/api/products/1", ct))!;
        using var xml = await client.SendAsync(xmlRequest, ct);

        json["name"]!.GetValue<string>().ShouldBe("Espresso cup");
        json["tags"]!.AsArray().Count.ShouldBe(2);
        xml.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        (await xml.Content.ReadAsStringAsync(ct)).ShouldContain("<name>Milk jug</name>");
    }

    [Fact]
    public async Task DemoOrder_NoBrokerConfigured_Answers503SayingSo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(demo.GatewayUrl) };

        using var content = new StringContent("""{"sku":"SKU-1","quantity":2}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/orders", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:broker-not-configured");
        problem.Service.ShouldBe("orders");
    }
}

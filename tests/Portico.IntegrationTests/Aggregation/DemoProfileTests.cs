using System.Net;
using System.Text.Json.Nodes;
using Portico.Demo;
using Portico.IntegrationTests.Demo;

namespace Portico.IntegrationTests.Aggregation;

/// The demo's profile route, as the README describes it.
[Collection(DemoCollection.Name)]
public sealed class DemoProfileTests
{
    [Fact]
    public async Task Profile_KnownAndClosedCreditAccountAndXml_FullPartialAndXmlAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, UseProxy = false }) { BaseAddress = new Uri(demo.GatewayUrl) };

        using var full = await client.GetAsync("/api/profile/1", ct);
        using var partial = await client.GetAsync("/api/profile/4", ct);
        using var xmlRequest = new HttpRequestMessage(HttpMethod.Get, "/api/profile/1");
        xmlRequest.Headers.Add("Accept", "application/xml");
        using var xml = await client.SendAsync(xmlRequest, ct);

        full.StatusCode.ShouldBe(HttpStatusCode.OK);
        var profile = JsonNode.Parse(await full.Content.ReadAsStringAsync(ct))!;
        profile["user"]!["name"]!.GetValue<string>().ShouldBe("Ada Lovelace");
        profile["credit"]!["currency"]!.GetValue<string>().ShouldBe("EUR");
        profile["credit"]!.AsObject().ContainsKey("account").ShouldBeFalse();
        full.Headers.Contains("Portico-Missing-Parts").ShouldBeFalse();
        full.Headers.GetValues("X-Gateway").ShouldBe(["portico-demo"]);

        partial.StatusCode.ShouldBe(HttpStatusCode.OK);
        partial.Headers.GetValues("Portico-Missing-Parts").ShouldBe(["credit"]);
        var partialProfile = JsonNode.Parse(await partial.Content.ReadAsStringAsync(ct))!;
        partialProfile["user"]!["creditAccount"]!.GetValue<string>().ShouldBe("ACC-1004");
        partialProfile["credit"].ShouldBeNull();
        partialProfile["_errors"]![0]!["detail"]!.GetValue<string>().ShouldBe("service 'credits' answered 404");

        xml.StatusCode.ShouldBe(HttpStatusCode.OK);
        xml.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        var document = System.Xml.Linq.XElement.Parse(await xml.Content.ReadAsStringAsync(ct));
        document.Element("user")!.Element("name")!.Value.ShouldBe("Ada Lovelace");
        document.Element("credit")!.Element("balance")!.Value.ShouldBe("120.50");
    }
}

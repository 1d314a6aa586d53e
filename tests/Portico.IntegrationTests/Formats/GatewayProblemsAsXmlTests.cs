using System.Net;
using System.Net.Http.Headers;
using System.Xml.Linq;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Formats;

/// Format negotiation sits in front of edge auth and rate limiting, so the gateway's own refusals reach an XML
/// client as application/problem+xml too.
public sealed class GatewayProblemsAsXmlTests
{
    /// One route to the backend with formats [json, xml], behind an API key and a limit of one request per consumer.
    static Task<GatewayUnderTest> StartGatewayAsync(TestBackend backend, string key, string path) => GatewayUnderTest.StartAsync($$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        auth:
          apikey: { header: X-Api-Key }
          consumers:
            app: { keys: ["{{ApiKeys.Hash(key)}}"] }
        rateLimits:
          one: { algorithm: fixed-window, limit: 1, window: 1h, key: consumer }
        routes:
          - name: api
            match: { path: "{{path}}" }
            service: api
            auth: [apikey]
            rateLimit: one
            formats: [json, xml]
        """);

    [Fact]
    public async Task XmlClient_RefusedByAuthAndByRateLimit_GetsProblemXml()
    {
        var key = ApiKeys.Generate();
        await using var backend = await TestBackend.StartAsync("users");
        await using var gateway = await StartGatewayAsync(backend, key, "/users/{id}");
        using var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));
        var ct = TestContext.Current.CancellationToken;

        using var unauthenticated = await client.GetAsync("/users/1", ct);
        async Task<HttpResponseMessage> WithKey()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
            request.Headers.Add("X-Api-Key", key);
            return await client.SendAsync(request, ct);
        }
        using var first = await WithKey();
        using var limited = await WithKey();

        unauthenticated.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        unauthenticated.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+xml");
        XDocument.Parse(await unauthenticated.Content.ReadAsStringAsync(ct)).Descendants().ShouldContain(e => e.Name.LocalName == "status" && e.Value == "401");
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        limited.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+xml");
        backend.Received.Count.ShouldBe(1);
    }

    [Fact]
    public async Task XmlBody_FromARefusedCaller_IsNotReadAndTheRefusalStands()
    {
        var key = ApiKeys.Generate();
        await using var backend = await TestBackend.StartAsync("orders");
        await using var gateway = await StartGatewayAsync(backend, key, "/orders");
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        // Not XML a parser would accept: were it read before the caller is let in, the answer would be 400.
        const string broken = "<order><id>1</order>";
        async Task<HttpResponseMessage> Post(string? apiKey)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = new StringContent(broken, System.Text.Encoding.UTF8, "application/xml") };
            if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
            return await client.SendAsync(request, ct);
        }

        using var unauthenticated = await Post(null);
        using var admitted = await Post(key);
        using var limited = await Post(key);

        unauthenticated.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        admitted.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ProblemResponse.ReadAsync(admitted, ct)).Type.ShouldBe("urn:portico:problem:bad-xml");
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        backend.Received.ShouldBeEmpty();
    }
}

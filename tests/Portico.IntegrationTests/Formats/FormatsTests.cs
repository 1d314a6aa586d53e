using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Formats;

public sealed class FormatsTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    static Task<TestBackend> StartUsersAsync() => TestBackend.StartAsync("users", app =>
    {
        app.MapGet("/users/{id}", (string id) => Results.Json(new { id, name = "Ada", tags = new[] { "a", "b" }, manager = (string?)null }));
        app.MapGet("/text", () => Results.Text("plain words", "text/plain"));
        app.MapGet("/missing", () => Results.Problem(statusCode: 404, title: "Not Found", detail: "no such user"));
        app.MapGet("/big", () => Results.Json(Enumerable.Range(0, 20_000).Select(i => new { i, label = $"item {i}" })));
        // Declared lengths: a body whose XML is held and sent whole, and one whose XML outgrows what is held.
        app.MapGet("/sized/{count:int}", (int count) => Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(Enumerable.Range(0, count).Select(i => new { i, label = $"item {i}" })), "application/json"));
        app.MapGet("/shouty", () => Results.Text("{\"id\":3}", "Application/JSON; charset=utf-8"));
        app.MapPost("/echo", async (HttpContext context) =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            return Results.Json(new { contentType = context.Request.ContentType, body });
        });
    });

    static string Config(TestBackend users, string gatewayExtra = "formats: [json, xml]", string routeExtra = "") => $$"""
        gateways:
          default:
            listen: ["http://127.0.0.1:0"]
            {{gatewayExtra}}
        services:
          users: { urls: ["{{users.Url}}"] }
          down: { urls: ["{{ClosedPort.Url()}}"] }
        routes:
          - name: users
            match: { path: "/api/{**rest}" }
            service: users
            rewrite: "/{**rest}"
            {{routeExtra}}
          - name: broken
            match: { path: "/broken" }
            service: down
          - name: profile
            match: { path: "/profile/{id}" }
            aggregate:
              parts:
                user: { service: users, path: "/users/{id}" }
        """;

    static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        return await client.SendAsync(request, Token);
    }

    [Fact]
    public async Task Proxy_AcceptXml_JsonAnswerConvertedToXml()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var response = await GetAsync(client, "/api/users/7", "application/xml");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        response.Headers.Vary.ShouldContain("Accept");
        var xml = XElement.Parse(await response.Content.ReadAsStringAsync(Token));
        xml.Name.LocalName.ShouldBe("response");
        xml.Element("id")!.Value.ShouldBe("7");
        xml.Element("tags")!.Elements("item").Select(e => e.Value).ShouldBe(["a", "b"]);
        xml.Element("manager")!.Attribute(XName.Get("nil", "http://www.w3.org/2001/XMLSchema-instance"))!.Value.ShouldBe("true");
    }

    [Fact]
    public async Task Proxy_NoAcceptOrJson_AnswerUnchanged()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var plain = await GetAsync(client, "/api/users/7", null);
        var json = await GetAsync(client, "/api/users/7", "application/json, application/xml;q=0.5");

        foreach (var response in new[] { plain, json })
        {
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
            JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["name"]!.GetValue<string>().ShouldBe("Ada");
        }
    }

    [Fact]
    public async Task Proxy_AcceptNeitherJsonNorXml_Answers406()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var response = await GetAsync(client, "/api/users/7", "text/html");

        response.StatusCode.ShouldBe(HttpStatusCode.NotAcceptable);
        (await ProblemResponse.ReadAsync(response, Token)).Type.ShouldBe("urn:portico:problem:not-acceptable");
        users.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Proxy_FormatQuery_OnlyWhereEnabled()
    {
        await using var users = await StartUsersAsync();
        await using var enabled = await GatewayUnderTest.StartAsync(Config(users, routeExtra: "xml: { formatQuery: true, root: user }"));
        await using var disabled = await GatewayUnderTest.StartAsync(Config(users));
        using var on = enabled.CreateClient();
        using var off = disabled.CreateClient();

        var xml = await GetAsync(on, "/api/users/7?format=xml", null);
        var json = await GetAsync(off, "/api/users/7?format=xml", null);

        xml.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        XElement.Parse(await xml.Content.ReadAsStringAsync(Token)).Name.LocalName.ShouldBe("user");
        json.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
    }

    [Fact]
    public async Task Proxy_RouteWithoutXml_AcceptXmlGetsTheUpstreamAnswer()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users, gatewayExtra: ""));
        using var client = gateway.CreateClient();

        var response = await GetAsync(client, "/api/users/7", "application/xml");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
    }

    [Fact]
    public async Task Proxy_NonJsonAnswer_PassesThroughForXmlClients()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var response = await GetAsync(client, "/api/text", "application/xml, text/plain");

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        (await response.Content.ReadAsStringAsync(Token)).ShouldBe("plain words");
    }

    [Fact]
    public async Task Aggregate_AcceptXml_AggregateAnswerConvertedToXml()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var response = await GetAsync(client, "/profile/3", "text/xml");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        XElement.Parse(await response.Content.ReadAsStringAsync(Token)).Element("user")!.Element("id")!.Value.ShouldBe("3");
    }

    [Fact]
    public async Task Problems_GatewayAndUpstream_RenderedAsProblemXml()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var ours = await GetAsync(client, "/broken", "application/xml");
        var theirs = await GetAsync(client, "/api/missing", "application/xml");

        ours.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        ours.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+xml");
        XElement.Parse(await ours.Content.ReadAsStringAsync(Token)).Element("type")!.Value.ShouldBe("urn:portico:problem:upstream-unreachable");
        theirs.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        theirs.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+xml");
        XElement.Parse(await theirs.Content.ReadAsStringAsync(Token)).Element("detail")!.Value.ShouldBe("no such user");
    }

    [Fact]
    public async Task Proxy_LargeJsonAnswer_ConvertedCompletely()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var response = await GetAsync(client, "/api/big", "application/xml");

        var items = XElement.Parse(await response.Content.ReadAsStringAsync(Token)).Elements("item").ToList();
        items.Count.ShouldBe(20_000);
        items[^1].Element("label")!.Value.ShouldBe("item 19999");
    }

    /// The answer as it comes: its headers as sent, the body still to read.
    static async Task<HttpResponseMessage> SendHeadersReadAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Accept", "application/xml");
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Token);
    }

    [Fact]
    public async Task Proxy_JsonOfDeclaredLength_XmlSentWholeWithItsLength()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        using var response = await SendHeadersReadAsync(client, "/api/sized/100");

        response.Headers.TransferEncodingChunked.ShouldNotBe(true);
        var length = response.Content.Headers.ContentLength;
        var bytes = await response.Content.ReadAsByteArrayAsync(Token);
        length.ShouldBe(bytes.Length);
        XElement.Parse(Encoding.UTF8.GetString(bytes)).Elements("item").Select(e => e.Element("i")!.Value).ShouldBe(Enumerable.Range(0, 100).Select(i => i.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Proxy_JsonOfDeclaredLengthBeyondWhatIsHeld_XmlStreamedWhole()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        // About 0.8 MB of JSON, several times what the gateway holds before sending.
        using var response = await SendHeadersReadAsync(client, "/api/sized/25000");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.TransferEncodingChunked.ShouldBe(true);
        var items = XElement.Parse(await response.Content.ReadAsStringAsync(Token)).Elements("item").ToList();
        items.Count.ShouldBe(25_000);
        items[^1].Element("label")!.Value.ShouldBe("item 24999");
    }

    [Fact]
    public async Task MediaTypesInAnyCase_NegotiatedAsInLowerCase()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();

        var response = await GetAsync(client, "/api/shouty", "Application/XML");
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        XElement.Parse(await response.Content.ReadAsStringAsync(Token)).Element("id")!.Value.ShouldBe("3");

        using var content = new StringContent("<order><id>5</id></order>", Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("Application/XML");
        var posted = await client.PostAsync("/api/echo", content, Token);
        posted.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonNode.Parse(await posted.Content.ReadAsStringAsync(Token))!["body"]!.GetValue<string>().ShouldBe("""{"id":5}""");
    }

    [Fact]
    public async Task Request_XmlBody_ServiceReceivesJson()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();
        using var content = new StringContent("<order xmlns:j=\"urn:portico:json\"><id>5</id><lines j:type=\"array\"><item>a</item></lines><note>rush</note></order>",
            Encoding.UTF8, "application/xml");

        var response = await client.PostAsync("/api/echo", content, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var echo = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        echo["contentType"]!.GetValue<string>().ShouldStartWith("application/json");
        echo["body"]!.GetValue<string>().ShouldBe("""{"id":5,"lines":["a"],"note":"rush"}""");
    }

    [Theory]
    [InlineData("iso-8859-1")]
    [InlineData("windows-1252")]
    [InlineData("utf-16")]
    [InlineData("\"UTF-16BE\"")]
    public async Task Request_XmlBodyInTheCharsetItsContentTypeNames_ReadInThatCharset(string charset)
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();
        // The declaration says UTF-8 and is wrong: the Content-Type charset is what counts.
        var encoding = CodePagesEncodingProvider.Instance.GetEncoding(charset.Trim('"')) ?? Encoding.GetEncoding(charset.Trim('"'));
        var text = "<?xml version=\"1.0\" encoding=\"utf-8\"?><order><note>café " + (charset == "windows-1252" ? "€" : "ÿ") + "</note></order>";
        using var content = new ByteArrayContent(encoding.GetBytes(text));
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/xml; charset={charset}");

        var response = await client.PostAsync("/api/echo", content, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var echo = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        var note = JsonNode.Parse(echo["body"]!.GetValue<string>())!["note"]!.GetValue<string>();
        note.ShouldBe(charset == "windows-1252" ? "café €" : "café ÿ");
    }

    [Fact]
    public async Task Request_XmlBodyInAnUnknownCharsetOrNotInItsCharset_RefusedBeforeTheService()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();
        async Task<HttpResponseMessage> Post(byte[] body, string contentType)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            return await client.PostAsync("/api/echo", content, Token);
        }

        var unknown = await Post(Encoding.UTF8.GetBytes("<a>1</a>"), "application/xml; charset=x-no-such-charset");
        // 0xE9 alone is not UTF-8.
        var notUtf8 = await Post([.. "<a>caf"u8, 0xE9, .. "</a>"u8], "application/xml; charset=utf-8");

        unknown.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        (await ProblemResponse.ReadAsync(unknown, Token)).Text.ShouldContain("x-no-such-charset");
        notUtf8.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ProblemResponse.ReadAsync(notUtf8, Token)).Type.ShouldBe("urn:portico:problem:bad-xml");
        users.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Request_XmlWithDtdOrTooDeep_Answers400BeforeTheService()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users, routeExtra: "xml: { maxDepth: 10 }"));
        using var client = gateway.CreateClient();
        var bomb = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><l>&b;</l>";
        var deep = string.Concat(Enumerable.Repeat("<a>", 20)) + "1" + string.Concat(Enumerable.Repeat("</a>", 20));

        foreach (var body in new[] { bomb, deep })
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/xml");
            var response = await client.PostAsync("/api/echo", content, Token);

            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            var problem = await ProblemResponse.ReadAsync(response, Token);
            problem.Type.ShouldBe("urn:portico:problem:bad-xml");
            problem.Text.ShouldNotContain("DtdProcessing");
            if (body == bomb)
            {
                problem.Text.ShouldContain("DTDs are not accepted");
            }
        }
        users.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Request_XmlOverSizeLimit_Answers413()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users, routeExtra: "xml: { maxBodySize: 1KiB }"));
        using var client = gateway.CreateClient();
        using var content = new StringContent("<a>" + new string('x', 5000) + "</a>", Encoding.UTF8, "application/xml");

        var response = await client.PostAsync("/api/echo", content, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        users.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Request_BadXmlFromAnXmlClient_ProblemIsXml()
    {
        await using var users = await StartUsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/echo") { Content = new StringContent("<a><b></a>", Encoding.UTF8, "application/xml") };
        request.Headers.TryAddWithoutValidation("Accept", "application/xml");

        var response = await client.SendAsync(request, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+xml");
        XElement.Parse(await response.Content.ReadAsStringAsync(Token)).Element("type")!.Value.ShouldBe("urn:portico:problem:bad-xml");
    }

    [Fact]
    public async Task Proxy_JsonStillArriving_XmlIsSentAsItComes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var users = await TestBackend.StartAsync("users", app => app.MapGet("/stream", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("[{\"n\":1},", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await release.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("{\"n\":2}]", context.RequestAborted);
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stream");
        request.Headers.Add("Accept", "application/xml");

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Token);
        var body = await response.Content.ReadAsStreamAsync(Token);
        var received = new StringBuilder();
        var chunk = new byte[4096];
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Token);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));
        // The first element's XML arrives while the service still holds back the rest of its JSON.
        while (!received.ToString().Contains("<n>1</n>", StringComparison.Ordinal))
        {
            var read = await body.ReadAsync(chunk, bounded.Token);
            read.ShouldBeGreaterThan(0);
            received.Append(Encoding.UTF8.GetString(chunk, 0, read));
        }
        release.SetResult();
        using var reader = new StreamReader(body);
        received.Append(await reader.ReadToEndAsync(Token));

        XElement.Parse(received.ToString()).Elements("item").Select(e => e.Element("n")!.Value).ShouldBe(["1", "2"]);
    }
}

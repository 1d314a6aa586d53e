using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Portico.Hosting;
using Portico.Identity;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Protocols.Grpc;

public sealed class GrpcRouteTests
{
    /// Stands in for edge authentication: sets the identity feature before routing.
    sealed class FixedIdentity : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Features.Set(new GatewayIdentity("user-42", "mobile-app", ["stock:read"], "apikey"));
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    static Task<GatewayUnderTest> StartGatewayAsync(StockServer server, string timeout = "5s") => GatewayUnderTest.StartAsync($$"""
        gateways:
          default: { listen: ["http://127.0.0.1:0"], formats: [json, xml] }
        services:
          stock: { protocol: grpc, urls: ["{{server.Url}}"], proto: "{{StockServer.ProtoPath}}", timeout: {{timeout}} }
        routes:
          - name: item
            match: { path: "/api/items/{sku}", methods: [GET] }
            service: stock
            grpc: { method: stock.v1.Stock/GetItem }
          - name: item-post
            match: { path: "/api/items", methods: [POST] }
            service: stock
            grpc: { method: stock.v1.Stock/GetItem }
          - name: items
            match: { path: "/api/items", methods: [GET] }
            service: stock
            grpc: { method: stock.v1.Stock/ListItems }
          - name: slow
            match: { path: "/api/slow/{sku}" }
            service: stock
            timeout: 200ms
            grpc: { method: stock.v1.Stock/Slow }
        """, services: s => s.AddSingleton<IStartupFilter, FixedIdentity>());

    [Fact]
    public async Task Unary_PathAndQuery_AnswersProto3Json()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/items/A1?minQuantity=1&unrelated=x", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        json["sku"]!.GetValue<string>().ShouldBe("A1");
        json["quantity"]!.GetValue<string>().ShouldBe("9007199254740994");
        json["status"]!.GetValue<string>().ShouldBe("IN_STOCK");
        json["tags"]!.AsArray().Count.ShouldBe(2);
        json["updated"]!.GetValue<string>().ShouldBe("2024-01-02T03:04:05Z");
    }

    [Fact]
    public async Task Unary_AuthenticatedCaller_IdentityAndTraceArriveAsMetadataButNotCredentials()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items/A1");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.Add("X-Api-Key", "secret");

        var response = await client.SendAsync(request, ct);

        var caller = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["caller"]!;
        caller["x-user-id"]!.GetValue<string>().ShouldBe("user-42");
        caller["x-consumer"]!.GetValue<string>().ShouldBe("mobile-app");
        caller["traceparent"]!.GetValue<string>().ShouldBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        caller["x-api-key"].ShouldBeNull();
    }

    [Fact]
    public async Task Unary_AcceptXml_AnswersXml()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items/A1");
        request.Headers.Add("Accept", "application/xml");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        (await response.Content.ReadAsStringAsync(ct)).ShouldContain("<sku>A1</sku>");
    }

    [Fact]
    public async Task Unary_BodyFieldOfWrongType_Answers400NamingFieldWithoutCallingUpstream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        using var content = new StringContent("""{"sku":"A1","minQuantity":"lots"}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/items", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:invalid-message");
        problem.Text.ShouldContain("minQuantity");
        server.State.Calls.ShouldBe(0);
    }

    [Fact]
    public async Task Unary_BodyNameNotUtf8_Answers400WithoutCallingUpstream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();
        // Found by the json2proto fuzz harness: a lone 0xC2 byte in a member name made the handler throw (a 500).
        byte[] body = [.. "{\"sku\":\"A1\",\"t"u8, 0xC2, .. "l\":\"1.5s\"}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var response = await client.PostAsync("/api/items", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:invalid-message");
        problem.Text.ShouldContain("UTF-8");
        server.State.Calls.ShouldBe(0);
    }

    [Fact]
    public async Task Unary_BodyWithRepeatedMember_Answers400WithoutCallingUpstream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        // Found by the json2proto fuzz harness: a member named twice made JsonObject throw (a 500).
        using var content = new StringContent("""{"sku":"A1","sku":"B2"}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/items", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:invalid-message");
        server.State.Calls.ShouldBe(0);
    }

    [Fact]
    public async Task Unary_UnknownBodyField_Answers400NamingField()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        using var content = new StringContent("""{"sku":"A1","colour":"red"}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/items", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ProblemResponse.ReadAsync(response, ct)).Text.ShouldContain("colour");
        server.State.Calls.ShouldBe(0);
    }

    [Theory]
    [InlineData("missing", HttpStatusCode.NotFound)]
    [InlineData("taken", HttpStatusCode.Conflict)]
    [InlineData("denied", HttpStatusCode.Forbidden)]
    public async Task Unary_ErrorStatus_MapsToHttpStatusWithMessage(string sku, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync($"/api/items/{sku}", ct);

        response.StatusCode.ShouldBe(expected);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:grpc-status");
        problem.Service.ShouldBe("stock");
    }

    [Fact]
    public async Task Unary_ServerExceedsRouteTimeout_Answers504AndServerSeesCancellation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/slow/A1", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        await server.State.SlowCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task ServerStreaming_Default_AnswersJsonArray()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/items?count=3", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var items = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsArray();
        items.Select(i => i!["sku"]!.GetValue<string>()).ShouldBe(["sku-0", "sku-1", "sku-2"]);
    }

    [Fact]
    public async Task ServerStreaming_AcceptNdjson_AnswersOneMessagePerLine()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items?count=2");
        request.Headers.Add("Accept", "application/x-ndjson");

        var response = await client.SendAsync(request, ct);

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/x-ndjson");
        var lines = (await response.Content.ReadAsStringAsync(ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2);
        JsonNode.Parse(lines[1])!["quantity"]!.GetValue<string>().ShouldBe("1");
    }

    [Fact]
    public async Task ServerStreaming_FailsBeforeFirstMessage_AnswersMappedStatus()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/items?count=0&failWith=unavailable", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Unary_ServiceNotListening_Answers503()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              stock: { protocol: grpc, urls: ["{{ClosedPort.Url()}}"], proto: "{{StockServer.ProtoPath}}" }
            routes:
              - name: item
                match: { path: "/api/items/{sku}" }
                service: stock
                grpc: { method: stock.v1.Stock/GetItem }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/items/A1", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ProblemResponse.ReadAsync(response, ct)).Type.ShouldBe("urn:portico:problem:grpc-status");
    }

    [Fact]
    public async Task Reload_ProtoWithParseError_RefusedAndOldRoutesKeepServing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server);
        var broken = Path.Combine(Path.GetDirectoryName(gateway.ConfigPath)!, "broken.proto");
        await File.WriteAllTextAsync(broken, "syntax = \"proto3\";\nmessage X {\n  strin a = 1;\n}\n", ct);
        var yaml = await File.ReadAllTextAsync(gateway.ConfigPath, ct);
        await File.WriteAllTextAsync(gateway.ConfigPath, yaml.Replace(StockServer.ProtoPath, "broken.proto", StringComparison.Ordinal), ct);
        using var client = gateway.CreateClient();

        var result = await gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeFalse();
        result.Errors.ShouldContain(e => e.Path == "services.stock.proto" && e.Message.Contains("broken.proto:3"));
        (await client.GetAsync("/api/items/A1", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public void Load_UnknownMethodAndClientStreaming_AreConfigErrorsWithHints()
    {
        var dir = Directory.CreateTempSubdirectory("portico-grpc-config");
        try
        {
            var path = Path.Combine(dir.FullName, "portico.yaml");
            File.WriteAllText(path, $$"""
                services:
                  stock: { protocol: grpc, urls: ["http://127.0.0.1:1"], proto: "{{StockServer.ProtoPath}}", health: { path: /healthz } }
                  broken: { protocol: grpc, urls: ["http://127.0.0.1:1"], proto: nowhere.proto }
                routes:
                  - name: a
                    match: { path: "/a" }
                    service: stock
                    grpc: { method: stock.v1.Stock/GetItems }
                  - name: b
                    match: { path: "/b" }
                    service: stock
                    grpc: { method: stock.v1.Stock/Upload }
                """);

            var result = ConfigLoader.LoadFile(path, _ => null, []);

            result.Success.ShouldBeFalse();
            result.Errors.ShouldContain(e => e.Path == "routes[0].grpc.method" && e.Hint!.Contains("stock.v1.Stock/GetItem"));
            result.Errors.ShouldContain(e => e.Path == "routes[1].grpc.method" && e.Message.Contains("client-streaming"));
            result.Errors.ShouldContain(e => e.Path == "services.broken.proto" && e.Message.Contains("not found"));
            result.Errors.ShouldContain(e => e.Path == "services.stock.health");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Protocols.GraphQL;

public sealed class GraphQLRouteTests
{
    static Task<GatewayUnderTest> StartGatewayAsync(string url) => GatewayUnderTest.StartAsync($$"""
        gateways:
          default: { listen: ["http://127.0.0.1:0"], formats: [json, xml] }
        services:
          catalog: { protocol: graphql, urls: ["{{url}}"], timeout: 5s }
        routes:
          - name: product
            match: { path: "/api/products/{id}", methods: [GET] }
            service: catalog
            graphql: { query: "query($id: ID!) { product(id: $id) { id name price stock } }", select: product }
          - name: product-data
            match: { path: "/api/data/products/{id}", methods: [GET] }
            service: catalog
            graphql: { query: "query($id: ID!) { product(id: $id) { id name } }" }
          - name: products
            match: { path: "/api/products", methods: [GET] }
            service: catalog
            graphql:
              query: |
                query Products($limit: Int, $tags: [String!], $inStock: Boolean, $maxPrice: Float) {
                  products(limit: $limit, tags: $tags, inStock: $inStock, maxPrice: $maxPrice) { id }
                }
              select: products
          - name: add-product
            match: { path: "/api/products", methods: [POST] }
            service: catalog
            graphql: { query: "mutation Add($input: ProductInput!) { addProduct(input: $input) { id name price } }", operationName: Add, select: addProduct }
          - name: vault
            match: { path: "/api/vault", methods: [GET] }
            service: catalog
            graphql: { query: "{ vault }" }
          - name: product-apq
            match: { path: "/api/apq/products/{id}", methods: [GET] }
            service: catalog
            graphql: { query: "query($id: ID!) { product(id: $id) { id name } }", persistedQuery: true, select: product }
        """);

    [Fact]
    public async Task Query_PathVariable_AnswersTheSelectedObject()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/products/p1", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var product = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        product["id"]!.GetValue<string>().ShouldBe("p1");
        product["name"]!.GetValue<string>().ShouldBe("Espresso cup");
        product["price"]!.GetValue<double>().ShouldBe(4.5);
        product["stock"]!.GetValue<int>().ShouldBe(120);
        response.Headers.Contains("Portico-GraphQL-Errors").ShouldBeFalse();
        server.State.Requests.Single().Variables!["id"].ShouldBe("p1");
    }

    [Fact]
    public async Task Query_WithoutSelect_AnswersAllOfData()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var data = JsonNode.Parse(await client.GetStringAsync("/api/data/products/p3", ct))!;

        data["product"]!["name"]!.GetValue<string>().ShouldBe("Tamper");
    }

    [Fact]
    public async Task Query_NullAtTheSelectedPath_Answers404()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/products/p9", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:graphql-null");
        problem.Service.ShouldBe("catalog");
    }

    [Theory]
    [InlineData("gone", HttpStatusCode.NotFound, "product 'gone' does not exist")]
    [InlineData("secret", HttpStatusCode.Forbidden, "not for you")]
    public async Task Query_ErrorWithoutData_MapsItsCodeToStatusWithTheMessages(string id, HttpStatusCode expected, string message)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync($"/api/products/{id}", ct);

        response.StatusCode.ShouldBe(expected);
        var problem = await ProblemResponse.ReadAsync(response, ct);
        problem.Type.ShouldBe("urn:portico:problem:graphql-errors");
        problem.Text.ShouldContain(message);
        var errors = JsonNode.Parse(problem.Text)!["errors"]!.AsArray();
        errors.Single()!["message"]!.GetValue<string>().ShouldBe(message);
    }

    [Fact]
    public async Task Query_NoDataAtAll_AnswersMappedProblemCarryingErrors()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/vault", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        problem["type"]!.GetValue<string>().ShouldBe("urn:portico:problem:graphql-errors");
        problem["errors"]![0]!["code"]!.GetValue<string>().ShouldBe("FORBIDDEN");
        problem["errors"]![0]!["message"]!.GetValue<string>().ShouldBe("the vault is closed");
    }

    [Fact]
    public async Task Query_PartialData_Answers200WithErrorsMemberAndHeader()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/products/p2", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("Portico-GraphQL-Errors").Single().ShouldBe("1");
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var product = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        product["name"]!.GetValue<string>().ShouldBe("Milk jug");
        product["stock"].ShouldBeNull();
        var error = product["_errors"]!.AsArray().Single()!;
        error["message"]!.GetValue<string>().ShouldBe("the stock service is down");
        error["code"]!.GetValue<string>().ShouldBe("STOCK_DOWN");
        error["path"]!.AsArray().Select(p => p!.ToString()).ShouldBe(["product", "stock"]);
    }

    [Fact]
    public async Task Query_QueryStringVariables_AreCoercedToTheirDeclaredTypes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/products?limit=5&tags=steel&tags=tool&inStock=false&maxPrice=30.5", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var ids = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsArray().Select(p => p!["id"]!.GetValue<string>());
        ids.ShouldBe(["p3"]);
        var variables = server.State.Requests.Single().Variables!;
        variables["limit"].ShouldBe(5);
        variables["inStock"].ShouldBe(false);
        variables["maxPrice"].ShouldBe(30.5);
        ((IEnumerable<object?>)variables["tags"]!).ShouldBe(["steel", "tool"]);
    }

    [Theory]
    [InlineData("/api/products?limit=lots", "limit")]
    [InlineData("/api/products?limit=99999999999", "limit")]
    [InlineData("/api/products?inStock=maybe", "inStock")]
    [InlineData("/api/products?maxPrice=cheap", "maxPrice")]
    [InlineData("/api/products?limit=1&limit=2", "limit")]
    public async Task Query_VariableOfWrongType_Answers400NamingItWithoutCallingTheService(string path, string variable)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync(path, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        problem["type"]!.GetValue<string>().ShouldBe("urn:portico:problem:invalid-variable");
        problem["variable"]!.GetValue<string>().ShouldBe(variable);
        problem["detail"]!.GetValue<string>().ShouldContain($"'{variable}'");
        server.State.Calls.ShouldBe(0);
    }

    [Fact]
    public async Task Mutation_InputObjectFromTheBody_RunsTheOperation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        using var content = new StringContent("""{"input":{"name":"Scale","price":30}}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/products", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var added = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        added["name"]!.GetValue<string>().ShouldBe("Scale");
        added["price"]!.GetValue<double>().ShouldBe(30);
        server.State.Requests.Single().OperationName.ShouldBe("Add");
    }

    [Theory]
    [InlineData("""{"input":null}""")]
    [InlineData("""{"other":1}""")]
    public async Task Mutation_RequiredInputMissingOrNull_Answers400WithoutCallingTheService(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/products", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["variable"]!.GetValue<string>().ShouldBe("input");
        server.State.Calls.ShouldBe(0);
    }

    [Fact]
    public async Task Query_AcceptXml_AnswersXml()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/products/p1");
        request.Headers.Add("Accept", "application/xml");

        var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        var xml = await response.Content.ReadAsStringAsync(ct);
        xml.ShouldContain("<name>Espresso cup</name>");
        xml.ShouldContain("<price>4.5</price>");
    }

    [Fact]
    public async Task PersistedQuery_UnknownToTheService_SentByHashThenWithTheQueryThenByHashAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await CatalogServer.StartAsync();
        await using var gateway = await StartGatewayAsync(server.Url);
        using var client = gateway.CreateClient();

        var first = await client.GetAsync("/api/apq/products/p1", ct);
        var second = await client.GetAsync("/api/apq/products/p3", ct);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonNode.Parse(await second.Content.ReadAsStringAsync(ct))!["name"]!.GetValue<string>().ShouldBe("Tamper");
        server.State.Requests.Select(r => r.Query is null).ShouldBe([true, false, true]);
    }

    [Fact]
    public async Task Query_ServiceUnreachable_Answers502()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await StartGatewayAsync(ClosedPort.Url() + "/graphql");
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/products/p1", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await ProblemResponse.ReadAsync(response, ct)).Type.ShouldBe("urn:portico:problem:upstream-unreachable");
    }
}

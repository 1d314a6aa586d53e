using Portico.Configuration;
using Portico.Hosting;
using Portico.Protocols.Grpc;

namespace Portico.Tests.Protocols.Grpc;

public sealed class GrpcAnnotationConfigTests : IDisposable
{
    const string Proto = """
        syntax = "proto3";
        package shop.v1;
        import "google/api/annotations.proto";
        message Location { string shelf = 1; string sku = 2; }
        message GetRequest { string sku = 1; Location location = 2; repeated string tags = 3; }
        message Item { string sku = 1; string name = 2; }
        message Placement { Item item = 1; string where = 2; }
        service Shop {
          rpc Get(GetRequest) returns (Item) {
            option (google.api.http) = { get: "/v1/items/{sku}" additional_bindings { post: "/v1/items/{sku}:check" body: "*" } };
          }
          rpc Place(GetRequest) returns (Placement) {
            option (google.api.http) = { put: "/v1/{location.shelf=shelves/*}/items/{location.sku}" body: "tags" response_body: "item" };
          }
          rpc List(GetRequest) returns (stream Item) { option (google.api.http) = { custom: { kind: "SEARCH" path: "/v1/items" } }; }
          rpc Upload(stream Item) returns (Item) { option (google.api.http) = { post: "/v1/upload" body: "*" }; }
          rpc Plain(GetRequest) returns (Item);
        }
        """;

    readonly string _dir = Directory.CreateTempSubdirectory("portico-grpc-http").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    ConfigLoadResult Load(string proto, string route)
    {
        File.WriteAllText(Path.Combine(_dir, "shop.proto"), proto);
        var path = Path.Combine(_dir, "portico.yaml");
        File.WriteAllText(path, $$"""
            gateways:
              default: { listen: ["http://127.0.0.1:8080"] }
            services:
              shop: { protocol: grpc, urls: ["http://127.0.0.1:5001"], proto: shop.proto }
            routes:
            {{route}}
            """);
        return ConfigLoader.LoadFile(path, _ => null, []);
    }

    [Fact]
    public void Annotations_ExpandIntoOneRoutePerBinding_WithPrefixAndTheRoutesPolicies()
    {
        var result = Load(Proto, """
              - name: shop
                match: { path: /api/, hosts: [shop.example] }
                service: shop
                timeout: 2s
                grpc: { annotations: true }
            """);

        result.Errors.ShouldBeEmpty();
        var routes = result.Config!.Routes.ToDictionary(r => r.Name);
        routes.Keys.Order().ShouldBe(["shop.Get.1", "shop.Get.2", "shop.List", "shop.Place"]);
        routes["shop.Get.1"].Match.Path.ShouldBe("/api/v1/items/{sku}");
        routes["shop.Get.1"].Match.Methods.ShouldBe(["GET"]);
        routes["shop.Get.2"].Match.Path.ShouldBe("/api/v1/items/{sku}:check");
        ((GrpcRouteDefinition)routes["shop.Get.2"].Kind!).Body.ShouldBe("*");
        routes["shop.List"].Match.Methods.ShouldBe(["SEARCH"]);
        var place = routes["shop.Place"];
        place.Match.Path.ShouldBe("/api/v1/shelves/{location_shelf_2}/items/{location_sku}");
        var grpc = place.Kind.ShouldBeOfType<GrpcRouteDefinition>();
        grpc.Method.ShouldBe("shop.v1.Shop/Place");
        grpc.Body.ShouldBe("tags");
        grpc.ResponseBody.ShouldBe("item");
        grpc.PathVariables.Select(v => v.FieldPath).ShouldBe(["location.shelf", "location.sku"]);
        routes.Values.ShouldAllBe(r => r.Timeout == TimeSpan.FromSeconds(2) && r.Match.Hosts.Single() == "shop.example" && r.Index == 0);
    }

    [Fact]
    public void Annotations_WithoutMatch_UseThePathsAsWritten()
    {
        var result = Load(Proto, """
              - name: shop
                service: shop
                grpc: { annotations: true }
            """);

        result.Errors.ShouldBeEmpty();
        result.Config!.Routes.Single(r => r.Name == "shop.Get.1").Match.Path.ShouldBe("/v1/items/{sku}");
    }

    [Fact]
    public void Annotations_BadBindings_AreLocatedErrorsNamingTheMethodAndRule()
    {
        var proto = Proto
            .Replace("body: \"tags\"", "body: \"nope\"")
            .Replace("response_body: \"item\"", "response_body: \"missing\"")
            .Replace("get: \"/v1/items/{sku}\"", "get: \"/v1/items/{tags}\"");

        var result = Load(proto, """
              - name: shop
                service: shop
                grpc: { annotations: true }
            """);

        result.Success.ShouldBeFalse();
        var messages = result.Errors.Select(e => e.ToString()).ToList();
        messages.ShouldContain(m => m.Contains("routes[0].grpc.annotations") && m.Contains("shop.v1.Shop/Place (PUT") && m.Contains("no field 'nope'"));
        messages.ShouldContain(m => m.Contains("shop.v1.Shop/Place (PUT") && m.Contains("no field 'missing'"));
        messages.ShouldContain(m => m.Contains("shop.v1.Shop/Get (GET /v1/items/{tags})") && m.Contains("'tags' is repeated"));
        result.Errors.Select(e => e.Location?.Line).ShouldAllBe(line => line == 8); // the grpc: line
    }

    [Fact]
    public void Annotations_InvalidTemplate_IsAnError()
    {
        var result = Load(Proto.Replace("get: \"/v1/items/{sku}\"", "get: \"/v1/**/items\""), "  - { name: shop, service: shop, grpc: { annotations: true } }");

        result.Errors.ShouldHaveSingleItem().ToString().ShouldContain("shop.v1.Shop/Get: google.api.http path '/v1/**/items': '**' must be the last segment");
    }

    [Fact]
    public void Annotations_TwoBindingsForTheSameRequests_AreReportedAsClash()
    {
        var proto = Proto.Replace("custom: { kind: \"SEARCH\" path: \"/v1/items\" }", "get: \"/v1/items/{sku}\"");

        var result = Load(proto, "  - { name: shop, service: shop, grpc: { annotations: true } }");

        result.Errors.ShouldHaveSingleItem().Message.ShouldContain("matches the same requests as route");
    }

    [Fact]
    public void Annotations_NoAnnotatedMethod_IsAnError()
    {
        var result = Load("syntax = \"proto3\"; package p; message M {} service S { rpc A(M) returns (M); }", "  - { name: shop, service: shop, grpc: { annotations: true } }");

        var error = result.Errors.ShouldHaveSingleItem();
        error.Path.ShouldBe("routes[0].grpc.annotations");
        error.Message.ShouldContain("no unary or server-streaming method of service 'shop' has a google.api.http annotation");
    }

    [Theory]
    [InlineData("match: { path: /api, methods: [GET] }", "routes[0].match.methods")]
    [InlineData("match: { path: \"/api/{tenant}\" }", "routes[0].match.path")]
    [InlineData("rewrite: /x", "routes[0].rewrite")]
    public void Annotations_RouteKeysThatDoNotApply_AreErrors(string extra, string path)
    {
        var result = Load(Proto, $"  - {{ name: shop, service: shop, grpc: {{ annotations: true }}, {extra} }}");

        result.Errors.ShouldContain(e => e.Path == path);
    }

    [Fact]
    public void Annotations_WithMethod_IsAnError()
    {
        var result = Load(Proto, "  - { name: shop, service: shop, grpc: { annotations: true, method: shop.v1.Shop/Get } }");

        result.Errors.ShouldContain(e => e.Path == "routes[0].grpc.method" && e.Message.Contains("comes from the .proto"));
    }

    [Fact]
    public void ExplicitRoute_BodyAndResponseBody_AreCheckedAgainstTheMessages()
    {
        var result = Load(Proto, """
              - name: place
                match: { path: "/place/{sku}", methods: [PUT] }
                service: shop
                grpc: { method: shop.v1.Shop/Place, body: tag, responseBody: item }
            """);

        var error = result.Errors.ShouldHaveSingleItem();
        error.Path.ShouldBe("routes[0].grpc.body");
        error.Message.ShouldContain("has no field 'tag'");
        error.Hint.ShouldNotBeNull().ShouldContain("tags");
    }

    [Fact]
    public void PathFieldProblem_MessageOrMissingField_SaysWhy()
    {
        File.WriteAllText(Path.Combine(_dir, "shop.proto"), Proto);
        var schema = GrpcSchema.Load(["shop.proto"], _dir, [])!;
        var input = schema.Methods["shop.v1.Shop/Get"].Input;

        GrpcSchemas.PathFieldProblem(input, "location.shelf").ShouldBeNull();
        GrpcSchemas.PathFieldProblem(input, "location").ShouldNotBeNull().ShouldContain("is a message");
        GrpcSchemas.PathFieldProblem(input, "location.aisle").ShouldNotBeNull().ShouldContain("no field 'aisle'");
        GrpcSchemas.PathFieldProblem(input, "sku.x").ShouldNotBeNull().ShouldContain("not a message");
    }

    [Fact]
    public void Schema_ReadsRulesIncludingAdditionalBindingsAndCustomVerbs()
    {
        File.WriteAllText(Path.Combine(_dir, "shop.proto"), Proto);
        var schema = GrpcSchema.Load(["shop.proto"], _dir, [])!;

        schema.Methods["shop.v1.Shop/Get"].HttpRules.ShouldBe([new HttpRule("GET", "/v1/items/{sku}", "", ""), new HttpRule("POST", "/v1/items/{sku}:check", "*", "")]);
        schema.Methods["shop.v1.Shop/List"].HttpRules.ShouldBe([new HttpRule("SEARCH", "/v1/items", "", "")]);
        schema.Methods["shop.v1.Shop/Plain"].HttpRules.ShouldBeEmpty();
    }
}

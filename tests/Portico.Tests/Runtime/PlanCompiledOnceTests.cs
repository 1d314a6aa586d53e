using Microsoft.Extensions.DependencyInjection;
using Portico.Aggregation;
using Portico.Configuration;
using Portico.Hosting;
using Portico.Protocols.GraphQL;
using Portico.Protocols.Grpc;
using Portico.Runtime;

namespace Portico.Tests.Runtime;

/// A config load compiles each route's plans once (path template, rewrite, aggregation plan, GraphQL operation,
/// gRPC binding): the validator's result is what the runtime runs, on every gateway the route is on.
public sealed class PlanCompiledOnceTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-plans").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string WriteConfig()
    {
        File.WriteAllText(Path.Combine(_dir, "stock.proto"), """
            syntax = "proto3";
            package stock.v1;
            message ItemRequest { string sku = 1; }
            message Item { string sku = 1; int32 count = 2; }
            service Stock { rpc GetItem(ItemRequest) returns (Item); }
            """);
        var path = Path.Combine(_dir, "portico.yaml");
        // Two gateways: every route is compiled into a handler for each, from the one plan.
        File.WriteAllText(path, """
            gateways:
              web: { listen: ["http://127.0.0.1:0"] }
              mobile: { listen: ["http://127.0.0.1:0"] }
            services:
              users: { urls: ["http://127.0.0.1:5001"] }
              catalog: { protocol: graphql, urls: ["http://127.0.0.1:5002/graphql"] }
              stock: { protocol: grpc, urls: ["http://127.0.0.1:5003"], proto: stock.proto }
            routes:
              - name: user
                match: { path: "/api/users/{id}" }
                service: users
                rewrite: /users/{id}
              - name: profile
                match: { path: "/api/profile/{id}" }
                aggregate:
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    orders: { service: users, path: "/orders/{user.id}" }
              - name: product
                match: { path: "/api/products/{id}" }
                service: catalog
                graphql: { query: "query($id: ID!) { product(id: $id) { id name } }", select: product }
              - name: item
                match: { path: "/api/items/{sku}" }
                service: stock
                grpc: { method: stock.v1.Stock/GetItem }
            """);
        return path;
    }

    [Fact]
    public async Task HostFromFile_CompilesEachPlanOnce_AndRunsTheValidatedPlans()
    {
        var path = WriteConfig();
        var counts = PlanCompilations.Track();

        await using var app = PorticoHost.Create(new PorticoHostOptions { ConfigPath = path, WatchConfigFile = false });

        counts.ShouldBe(new Dictionary<string, int>
        {
            ["path template"] = 4,
            ["aggregation"] = 1,
            ["graphql operation"] = 1,
            ["grpc binding"] = 1,
            ["rewrite"] = 1,
        }, ignoreOrder: true);
        // The snapshot's handlers hold the very plans the validated config holds, on both gateways.
        var snapshot = app.Services.GetRequiredService<RuntimeHolder>().Current;
        var routes = snapshot.Config.Routes.ToDictionary(r => r.Name);
        foreach (var gateway in new[] { "web", "mobile" })
        {
            var handlers = snapshot.Routes.Where(r => r.Gateway == gateway).ToDictionary(r => r.Name, r => r.Handler);
            ((AggregateRoute)handlers["profile"]).Plan.ShouldBeSameAs(((AggregateDefinition)routes["profile"].Kind!).Plan);
            ((GraphQLRoute)handlers["product"]).Operation.ShouldBeSameAs(((GraphQLRouteDefinition)routes["product"].Kind!).Operation);
            ((GrpcRoute)handlers["item"]).Plan.ShouldBeSameAs(((GrpcRouteDefinition)routes["item"].Kind!).Binding!.Plan);
        }
    }

    [Fact]
    public void LoadOnly_CompilesEachPlanOnce()
    {
        var path = WriteConfig();
        var counts = PlanCompilations.Track();

        var result = ConfigLoader.LoadFile(path, _ => null, []);

        result.Errors.ShouldBeEmpty();
        counts["path template"].ShouldBe(4);
        counts["aggregation"].ShouldBe(1);
        counts["graphql operation"].ShouldBe(1);
        counts["grpc binding"].ShouldBe(1);
        counts["rewrite"].ShouldBe(1);
    }
}

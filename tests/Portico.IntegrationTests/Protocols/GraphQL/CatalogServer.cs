using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portico.IntegrationTests.Protocols.GraphQL;

/// A real GraphQL server (GraphQL.NET's DocumentExecuter behind a minimal API endpoint) on a loopback port,
/// with a small catalog: data, field errors that leave partial data, errors that leave none, a mutation with an
/// input object, and automatic persisted queries (the Apollo convention). Records every request it answers.
public sealed class CatalogServer : IAsyncDisposable
{
    readonly WebApplication _app;

    CatalogServer(WebApplication app, CatalogState state)
    {
        _app = app;
        State = state;
    }

    public CatalogState State { get; }
    public string Url { get; private set; } = "";

    public static async Task<CatalogServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var state = new CatalogState();
        builder.Services.AddSingleton(state);
        builder.Services.AddGraphQL(b => b.AddSchema<CatalogSchema>().AddGraphTypes(typeof(CatalogSchema).Assembly).AddSystemTextJson());
        var app = builder.Build();
        app.MapPost("/graphql", ExecuteAsync);
        await app.StartAsync();
        return new CatalogServer(app, state) { Url = app.Urls.First() + "/graphql" };
    }

    static async Task ExecuteAsync(HttpContext context, IDocumentExecuter<ISchema> executer, IGraphQLTextSerializer serializer, CatalogState state)
    {
        var request = await serializer.ReadAsync<GraphQLRequest>(context.Request.Body, context.RequestAborted);
        state.Record(request, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        context.Response.ContentType = "application/graphql-response+json; charset=utf-8";
        var query = request?.Query;
        if (request?.Extensions?.TryGetValue("persistedQuery", out var persisted) == true && persisted is IDictionary<string, object?> apq
            && apq.TryGetValue("sha256Hash", out var h) && h is string hash)
        {
            if (query is null && !state.Persisted.TryGetValue(hash, out query))
            {
                await serializer.WriteAsync(context.Response.Body, new ExecutionResult { Errors = [new ExecutionError("PersistedQueryNotFound") { Code = "PERSISTED_QUERY_NOT_FOUND" }] }, context.RequestAborted);
                return;
            }
            state.Persisted[Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(query!)))] = query!;
        }
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Query = query,
            OperationName = request?.OperationName,
            Variables = request?.Variables,
            RequestServices = context.RequestServices,
            User = context.User,
            CancellationToken = context.RequestAborted,
        });
        if (result.Executed is false) context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await serializer.WriteAsync(context.Response.Body, result, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// What the server received, for assertions: every request's variables, query and headers.
public sealed class CatalogState
{
    public sealed record Received(string? Query, Inputs? Variables, string? OperationName, IReadOnlyDictionary<string, string> Headers);

    public ConcurrentQueue<Received> Requests { get; } = new();
    public ConcurrentDictionary<string, string> Persisted { get; } = new(StringComparer.Ordinal);
    public int Calls => Requests.Count;

    public void Record(GraphQLRequest? request, IReadOnlyDictionary<string, string> headers) =>
        Requests.Enqueue(new Received(request?.Query, request?.Variables, request?.OperationName, headers));
}

public sealed record Product(string Id, string Name, double Price, int Stock, string[] Tags);

public sealed class CatalogSchema : Schema
{
    public CatalogSchema(IServiceProvider services, CatalogQuery query, CatalogMutation mutation) : base(services)
    {
        Query = query;
        Mutation = mutation;
    }
}

public sealed class ProductType : ObjectGraphType<Product>
{
    public ProductType()
    {
        Name = "Product";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<FloatGraphType>>("price").Resolve(c => c.Source.Price);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("tags").Resolve(c => c.Source.Tags);
        // Stock comes from another system that fails for "p2": the field is null and the answer carries an error.
        Field<IntGraphType>("stock").Resolve(c => c.Source.Id == "p2" ? throw new ExecutionError("the stock service is down") { Code = "STOCK_DOWN" } : c.Source.Stock);
    }
}

public sealed class ProductInputType : InputObjectGraphType
{
    public ProductInputType()
    {
        Name = "ProductInput";
        Field<NonNullGraphType<StringGraphType>>("name");
        Field<NonNullGraphType<FloatGraphType>>("price");
    }
}

public sealed class CatalogQuery : ObjectGraphType
{
    public static readonly Product[] Products =
    [
        new("p1", "Espresso cup", 4.5, 120, ["cup", "ceramic"]),
        new("p2", "Milk jug", 12.9, 3, ["steel"]),
        new("p3", "Tamper", 24, 0, ["steel", "tool"]),
    ];

    public CatalogQuery()
    {
        Name = "Query";
        Field<ProductType>("product")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Resolve(c => c.GetArgument<string>("id") switch
            {
                "gone" => throw new ExecutionError("product 'gone' does not exist") { Code = "NOT_FOUND" },
                "secret" => throw new ExecutionError("not for you") { Code = "FORBIDDEN" },
                var id => Products.FirstOrDefault(p => p.Id == id),
            });
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProductType>>>>("products")
            .Argument<IntGraphType>("limit")
            .Argument<ListGraphType<NonNullGraphType<StringGraphType>>>("tags")
            .Argument<BooleanGraphType>("inStock")
            .Argument<FloatGraphType>("maxPrice")
            .Resolve(c =>
            {
                var tags = c.GetArgument<List<string>?>("tags");
                var inStock = c.GetArgument<bool?>("inStock");
                var maxPrice = c.GetArgument<double?>("maxPrice");
                return Products.Where(p => (tags is null || tags.Any(p.Tags.Contains)) && (inStock is null || (p.Stock > 0) == inStock) && (maxPrice is null || p.Price <= maxPrice))
                    .Take(c.GetArgument<int?>("limit") ?? int.MaxValue).ToList();
            });
        // Non-null: its error leaves the whole answer without data.
        Field<NonNullGraphType<StringGraphType>>("vault").Resolve(_ => throw new ExecutionError("the vault is closed") { Code = "FORBIDDEN" });
    }
}

public sealed class CatalogMutation : ObjectGraphType
{
    public CatalogMutation()
    {
        Name = "Mutation";
        Field<NonNullGraphType<ProductType>>("addProduct")
            .Argument<NonNullGraphType<ProductInputType>>("input")
            .Resolve(c =>
            {
                var input = c.GetArgument<Dictionary<string, object?>>("input");
                return new Product("p-new", (string)input["name"]!, Convert.ToDouble(input["price"], System.Globalization.CultureInfo.InvariantCulture), 0, []);
            });
    }
}

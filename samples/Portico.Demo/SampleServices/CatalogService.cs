using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.Demo.SampleServices;

/// `catalog`: a GraphQL service (GraphQL.NET's executer behind POST /graphql) with `product(id)` and
/// `products(tag)`. Clients never see GraphQL: the gateway's routes hold the operations.
internal static class CatalogService
{
    public const string Name = "catalog";
    public const int Port = 5401;

    public static WebApplication Create()
    {
        var builder = SampleApp.CreateBuilder(Port);
        builder.Services.AddGraphQL(b => b.AddSchema<CatalogSchema>().AddGraphTypes(typeof(CatalogService).Assembly).AddSystemTextJson());
        var app = builder.Build();
        app.MapPost("/graphql", async (HttpContext context, IDocumentExecuter<CatalogSchema> executer, IGraphQLTextSerializer serializer) =>
        {
            var request = await serializer.ReadAsync<GraphQLRequest>(context.Request.Body, context.RequestAborted).ConfigureAwait(false);
            var result = await executer.ExecuteAsync(new ExecutionOptions
            {
                Query = request?.Query,
                OperationName = request?.OperationName,
                Variables = request?.Variables,
                RequestServices = context.RequestServices,
                CancellationToken = context.RequestAborted,
            }).ConfigureAwait(false);
            context.Response.ContentType = "application/graphql-response+json; charset=utf-8";
            if (result.Executed is false) context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await serializer.WriteAsync(context.Response.Body, result, context.RequestAborted).ConfigureAwait(false);
        });
        return app;
    }

    internal sealed record Product(string Id, string Name, decimal Price, string Currency, string[] Tags);

    static readonly Product[] Products =
    [
        new("1", "Espresso cup", 4.50m, "EUR", ["cups", "ceramic"]),
        new("2", "Milk jug", 12.90m, "EUR", ["steel", "milk"]),
        new("3", "Tamper", 24.00m, "EUR", ["steel", "tools"]),
    ];

    sealed class CatalogSchema : Schema
    {
        public CatalogSchema(IServiceProvider services) : base(services) => Query = new CatalogQuery();
    }

    sealed class ProductType : ObjectGraphType<Product>
    {
        public ProductType()
        {
            Name = "Product";
            Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
            Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
            Field<NonNullGraphType<DecimalGraphType>>("price").Resolve(c => c.Source.Price);
            Field<NonNullGraphType<StringGraphType>>("currency").Resolve(c => c.Source.Currency);
            Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("tags").Resolve(c => c.Source.Tags);
        }
    }

    sealed class CatalogQuery : ObjectGraphType
    {
        public CatalogQuery()
        {
            Name = "Query";
            Field<ProductType>("product")
                .Argument<NonNullGraphType<IdGraphType>>("id")
                .Resolve(c => Products.FirstOrDefault(p => p.Id == c.GetArgument<string>("id")));
            Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProductType>>>>("products")
                .Argument<StringGraphType>("tag")
                .Resolve(c => c.GetArgument<string?>("tag") is { } tag ? Products.Where(p => p.Tags.Contains(tag)).ToArray() : Products);
        }
    }
}

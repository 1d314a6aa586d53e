using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Portico.Demo.Inventory;

namespace Portico.Demo.SampleServices;

/// `inventory`: a gRPC service (protos/inventory.proto) on an HTTP/2-only port (h2c): GetItem and a
/// server-streaming ListItems. The gateway calls it from REST routes without generated code.
internal static class InventoryService
{
    public const string Name = "inventory";
    public const int Port = 5501;

    static readonly Item[] Items =
    [
        new() { Sku = "SKU-1", Name = "Espresso cup", Quantity = 120, Availability = Availability.InStock, UnitPrice = 4.5 },
        new() { Sku = "SKU-2", Name = "Milk jug", Quantity = 3, Availability = Availability.LowStock, UnitPrice = 12.9 },
        new() { Sku = "SKU-3", Name = "Tamper", Quantity = 0, Availability = Availability.SoldOut, UnitPrice = 24 },
    ];

    public static WebApplication Create()
    {
        var builder = SampleApp.CreateBuilder(Port);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<InventoryGrpc>();
        return app;
    }

    sealed class InventoryGrpc : Inventory.Inventory.InventoryBase
    {
        public override Task<Item> GetItem(GetItemRequest request, ServerCallContext context) =>
            Items.FirstOrDefault(i => string.Equals(i.Sku, request.Sku, StringComparison.OrdinalIgnoreCase)) is { } item
                ? Task.FromResult(item)
                : throw new RpcException(new Status(StatusCode.NotFound, $"No item {request.Sku}; try SKU-1, SKU-2 or SKU-3."));

        public override async Task ListItems(ListItemsRequest request, IServerStreamWriter<Item> responseStream, ServerCallContext context)
        {
            foreach (var item in Items.Take(request.Limit > 0 ? request.Limit : Items.Length))
                await responseStream.WriteAsync(item, context.CancellationToken).ConfigureAwait(false);
        }
    }
}

using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.IntegrationTests.Protocols.Grpc.Stock;
using GrpcStatus = Grpc.Core.Status;

namespace Portico.IntegrationTests.Protocols.Grpc;

/// A real gRPC server (Grpc.AspNetCore, code generated from stock.proto) on a loopback h2c port.
public sealed class StockServer : IAsyncDisposable
{
    readonly WebApplication _app;

    StockServer(WebApplication app, StockState state)
    {
        _app = app;
        State = state;
    }

    public StockState State { get; }
    public string Url { get; private set; } = "";

    public static string ProtoPath => Path.Combine(AppContext.BaseDirectory, "Protocols", "Grpc", "stock.proto");

    public static async Task<StockServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var state = new StockState();
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<StockService>();
        await app.StartAsync();
        return new StockServer(app, state) { Url = app.Urls.First() };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed class StockState
{
    int _calls;
    public int Calls => Volatile.Read(ref _calls);
    public void Called() => Interlocked.Increment(ref _calls);

    /// Completes when a Slow call saw its deadline (its cancellation token fired).
    public TaskCompletionSource SlowCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

sealed class StockService(StockState state) : Stock.Stock.StockBase
{
    public override Task<Item> GetItem(GetItemRequest request, ServerCallContext context)
    {
        state.Called();
        if (request.Sku == "missing") throw new RpcException(new GrpcStatus(StatusCode.NotFound, "no item 'missing'"));
        if (request.Sku == "taken") throw new RpcException(new GrpcStatus(StatusCode.AlreadyExists, "already there"));
        if (request.Sku == "denied") throw new RpcException(new GrpcStatus(StatusCode.PermissionDenied, "not yours"));
        var item = new Item
        {
            Sku = request.Sku,
            Name = $"Item {request.Sku}",
            Quantity = 9_007_199_254_740_993L + request.MinQuantity,
            Status = Stock.Status.InStock,
            Tags = { "a", "b" },
            Updated = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero)),
        };
        foreach (var entry in context.RequestHeaders.Where(h => h.Key is "x-user-id" or "x-consumer" or "x-tenant" or "traceparent" or "x-api-key" or "authorization"))
            item.Caller[entry.Key] = entry.Value;
        return Task.FromResult(item);
    }

    public override async Task ListItems(ListItemsRequest request, IServerStreamWriter<Item> responseStream, ServerCallContext context)
    {
        state.Called();
        for (var i = 0; i < request.Count; i++)
            await responseStream.WriteAsync(new Item { Sku = $"sku-{i}", Quantity = i }, context.CancellationToken);
        if (request.FailWith == "unavailable") throw new RpcException(new GrpcStatus(StatusCode.Unavailable, "gone"));
    }

    /// Echoes the item placed, with the path's values in it: the sku from the location, the shelf as a tag.
    public override Task<Placement> PlaceItem(PlaceItemRequest request, ServerCallContext context)
    {
        state.Called();
        var item = request.Item ?? new Item();
        item.Sku = request.Location?.Sku ?? "";
        item.Tags.Add(request.Location?.Shelf ?? "");
        return Task.FromResult(new Placement { Item = item, Where = request.Location?.Shelf ?? "" });
    }

    public override async Task<Item> Slow(GetItemRequest request, ServerCallContext context)
    {
        state.Called();
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            state.SlowCancelled.TrySetResult();
            throw;
        }
        return new Item();
    }
}

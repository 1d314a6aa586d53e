// The one backend every benchmark target forwards to.
//   HTTP/1.1 on --http (default 127.0.0.1:5001):
//     GET  /hello        100-byte JSON            GET /big   65,536-byte JSON
//     GET  /bytes/{n}    n bytes (1 .. 16 MiB), built once per size
//     POST /{anything}   the request body back, same Content-Type
//   gRPC (h2c) on --grpc (default 127.0.0.1:5002): bench.Items/GetItem
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Bench.Backend;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var httpPort = int.Parse(builder.Configuration["http"] ?? "5001");
var grpcPort = int.Parse(builder.Configuration["grpc"] ?? "5002");
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
    k.Listen(IPAddress.Loopback, httpPort, l => l.Protocols = HttpProtocols.Http1);
    k.Listen(IPAddress.Loopback, grpcPort, l => l.Protocols = HttpProtocols.Http2);
});
builder.Services.AddGrpc();

var app = builder.Build();
var hello = Bodies.Json(100);
var big = Bodies.Json(65_536);
var sized = new ConcurrentDictionary<int, byte[]>();

app.MapGet("/hello", context => Bodies.WriteAsync(context, hello));
app.MapGet("/big", context => Bodies.WriteAsync(context, big));
app.MapGet("/bytes/{n:int}", (HttpContext context, int n) =>
    n is < 1 or > 16 * 1024 * 1024
        ? Results.BadRequest()
        : Results.Bytes(sized.GetOrAdd(n, Bodies.Json), "application/json"));
// An OTLP/HTTP sink for the telemetry scenarios: the exporter's request is read whole and accepted (an empty
// protobuf answer is a full success), so the gateway pays for exporting as it would to a collector.
foreach (var signal in new[] { "/v1/traces", "/v1/metrics" })
{
    app.MapPost(signal, async context =>
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        context.Response.ContentType = "application/x-protobuf";
    });
}
app.MapPost("/{**path}", async context =>
{
    context.Response.ContentType = context.Request.ContentType ?? "application/octet-stream";
    if (context.Request.ContentLength is { } length) context.Response.ContentLength = length;
    await context.Request.Body.CopyToAsync(context.Response.Body);
});
app.MapGrpcService<ItemsService>();
app.Run();

namespace Bench.Backend
{
    static class Bodies
    {
        /// A JSON document of exactly <paramref name="size"/> bytes (at least 32): an array of items, padded.
        public static byte[] Json(int size)
        {
            var text = new StringBuilder("{\"items\":[");
            for (var i = 0; text.Length + 80 < size - 16; i++)
            {
                if (i > 0) text.Append(',');
                text.Append("{\"id\":").Append(i).Append(",\"name\":\"item-").Append(i.ToString("D6"))
                    .Append("\",\"value\":\"").Append((char)('a' + i % 26), 24).Append("\"}");
            }
            text.Append("],\"pad\":\"");
            var pad = Math.Max(0, size - text.Length - 2);
            text.Append('.', pad).Append("\"}");
            return Encoding.UTF8.GetBytes(text.ToString());
        }

        public static Task WriteAsync(HttpContext context, byte[] body)
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body, 0, body.Length);
        }
    }

    sealed class ItemsService : Items.ItemsBase
    {
        static readonly string[] Tags = ["bench", "grpc"];

        public override Task<Item> GetItem(ItemRequest request, Grpc.Core.ServerCallContext context)
        {
            var item = new Item { Sku = request.Sku, Name = "Bench item " + request.Sku, Stock = 42, Price = 9.99 };
            item.Tags.Add(Tags);
            return Task.FromResult(item);
        }
    }
}

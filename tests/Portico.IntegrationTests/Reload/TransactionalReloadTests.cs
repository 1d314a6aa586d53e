using System.Net;
using System.Text.Json.Nodes;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.Protocols.Grpc;

namespace Portico.IntegrationTests.Reload;

/// A reload is all or nothing (a compile that fails late leaves every live counter as it was), it applies
/// changes a service's fingerprint must see (.proto content, emitDefaults), and reloads apply in the order
/// they read the file.
public sealed class TransactionalReloadTests
{
    [Fact]
    public async Task ApplyAsync_CompileFailsAfterRateLimitsArePrepared_LiveLimitKeepsItsRemainingCount()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              api: { urls: ["{{backend.Url}}"] }
            rateLimits:
              small: { algorithm: fixed-window, limit: 3, window: 1h, key: ip }
            routes:
              - { name: small, match: { path: /small }, service: api, rateLimit: small }
            """);
        using var client = gateway.CreateClient();
        (await client.GetAsync("/small", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/small", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var version = gateway.Runtime.Current.Version;

        // Drops the limit (so a non-transactional registry would retire its counter) and adds a route whose
        // service does not exist: config validation would refuse it, so only the compile meets it, after the
        // rate limits were prepared.
        var current = gateway.Runtime.Current.Config;
        var broken = current with { RateLimits = [], Routes = [.. current.Routes, current.Routes[0] with { Name = "broken", Service = "missing", RateLimit = null }] };
        await Should.ThrowAsync<KeyNotFoundException>(() => gateway.Runtime.ApplyAsync(broken));

        gateway.Runtime.Current.Version.ShouldBe(version);
        (await client.GetAsync("/small", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/small", ct)).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        backend.CallsTo("/small").ShouldBe(3);
    }

    static string GrpcConfig(StockServer server, string proto, bool emitDefaults) => $$"""
        services:
          stock: { protocol: grpc, urls: ["{{server.Url}}"], proto: "{{proto}}", emitDefaults: {{(emitDefaults ? "true" : "false")}} }
        routes:
          - name: item
            match: { path: "/api/items/{sku}", methods: [GET] }
            service: stock
            grpc: { method: stock.v1.Stock/GetItem }
          - name: items
            match: { path: "/api/items", methods: [GET] }
            service: stock
            grpc: { method: stock.v1.Stock/ListItems }
        """;

    [Fact]
    public async Task ReloadAsync_OnlyTheProtoFileChanged_NewSchemaIsApplied()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("portico-proto-");
        try
        {
            var proto = Path.Combine(dir.FullName, "stock.proto");
            var original = await File.ReadAllTextAsync(StockServer.ProtoPath, ct);
            await File.WriteAllTextAsync(proto, original, ct);
            await using var gateway = await GatewayUnderTest.StartAsync(GrpcConfig(server, proto, emitDefaults: false));
            using var client = gateway.CreateClient();
            (await ItemAsync(client, ct))["name"]!.GetValue<string>().ShouldBe("Item A1");

            // Field 2 renamed: same wire data, another JSON name. The YAML is untouched (as after SIGHUP).
            await File.WriteAllTextAsync(proto, original.Replace("string name = 2;", "string title = 2;", StringComparison.Ordinal), ct);
            var result = await gateway.Runtime.ReloadAsync();

            result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
            var item = await ItemAsync(client, ct);
            item["title"]!.GetValue<string>().ShouldBe("Item A1");
            item["name"].ShouldBeNull();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ReloadAsync_OnlyEmitDefaultsChanged_AnswersWithDefaultsAfterwards()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(GrpcConfig(server, StockServer.ProtoPath, emitDefaults: false));
        using var client = gateway.CreateClient();
        // The first streamed item has no name: a default, left out unless emitDefaults.
        (await FirstStreamedItemAsync(client, ct))["name"].ShouldBeNull();

        await File.WriteAllTextAsync(gateway.ConfigPath, "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n" + GrpcConfig(server, StockServer.ProtoPath, emitDefaults: true), ct);
        var result = await gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
        (await FirstStreamedItemAsync(client, ct))["name"]!.GetValue<string>().ShouldBe("");
    }

    static async Task<JsonNode> FirstStreamedItemAsync(HttpClient client, CancellationToken ct)
    {
        var response = await client.GetAsync("/api/items?count=1", ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsArray()[0]!;
    }

    static async Task<JsonNode> ItemAsync(HttpClient client, CancellationToken ct)
    {
        var response = await client.GetAsync("/api/items/A1", ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task ReloadAsync_ConcurrentReloadsWhileTheFileChanges_TheLastWrittenConfigIsLive()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        string Config(int generation) => $$"""
            gateways:
              default:
                listen: ["http://127.0.0.1:0"]
            services:
              api: { urls: ["{{backend.Url}}"] }
            routes:
              - { name: all, match: { path: "/{**rest}" }, service: api, rewrite: "/g{{generation}}/{**rest}" }
            """;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(0));
        var reloads = new List<Task<Compilation.GatewayRuntime.ReloadResult>>();
        for (var generation = 1; generation <= 20; generation++)
        {
            // Renamed into place, so every read sees one whole generation.
            var temp = gateway.ConfigPath + ".tmp";
            await File.WriteAllTextAsync(temp, Config(generation), ct);
            File.Move(temp, gateway.ConfigPath, overwrite: true);
            reloads.Add(Task.Run(gateway.Runtime.ReloadAsync, ct));
        }
        await Task.WhenAll(reloads);

        gateway.Runtime.Current.Config.Routes[0].Rewrite.ShouldBe("/g20/{**rest}");
    }
}

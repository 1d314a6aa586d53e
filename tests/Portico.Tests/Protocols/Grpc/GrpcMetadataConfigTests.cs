using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Protocols.Grpc;

/// Request headers and identity headers of a gRPC route travel as metadata, whose keys are narrower than header
/// names: refused at load, with location, instead of failing every call.
public sealed class GrpcMetadataConfigTests : IDisposable
{
    const string Proto = """
        syntax = "proto3";
        package shop.v1;
        message GetRequest { string sku = 1; }
        message Item { string sku = 1; }
        service Shop { rpc Get(GetRequest) returns (Item); }
        """;

    readonly string _dir = Directory.CreateTempSubdirectory("portico-grpc-metadata").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    ConfigLoadResult Load(string headers, string auth = "")
    {
        File.WriteAllText(Path.Combine(_dir, "shop.proto"), Proto);
        var path = Path.Combine(_dir, "portico.yaml");
        File.WriteAllText(path, $$"""
            gateways:
              default: { listen: ["http://127.0.0.1:8080"] }
            services:
              shop: { protocol: grpc, urls: ["http://127.0.0.1:5001"], proto: shop.proto }
            {{auth}}
            routes:
              - name: item
                match: { path: "/items/{sku}" }
                service: shop
                grpc: { method: shop.v1.Shop/Get }
                headers: { request: { set: { {{headers}} } } }
            """);
        return ConfigLoader.LoadFile(path, _ => null, []);
    }

    [Theory]
    [InlineData("X-Trace-bin: abc")]
    [InlineData("\"X!Tenant\": acme")]
    public void Load_RequestHeaderNotAMetadataKey_Refused(string header)
    {
        var result = Load(header);

        result.Errors.ShouldContain(e => e.Path == "routes[0].headers.request" && e.Message.Contains("gRPC metadata key"));
    }

    [Fact]
    public void Load_IdentityHeaderNotAMetadataKey_Refused()
    {
        var result = Load("X-Tenant: acme", "auth:\n  apikey: { header: X-Api-Key }\n  identityHeaders: { subject: \"X-User-Id-bin\" }");

        result.Errors.ShouldContain(e => e.Path == "auth.identityHeaders" && e.Message.Contains("'X-User-Id-bin'"));
    }

    [Fact]
    public void Load_PlainHeaders_Accepted()
    {
        var result = Load("X-Tenant: acme", "auth:\n  apikey: { header: X-Api-Key }");

        result.Errors.ShouldBeEmpty();
    }
}

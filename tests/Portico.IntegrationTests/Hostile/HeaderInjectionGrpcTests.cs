using System.Net;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.Protocols.Grpc;
using Portico.Problems;

namespace Portico.IntegrationTests.Hostile;

/// A token whose identity holds CR/LF, NUL or DEL never becomes gRPC metadata: the caller gets 401 and the real
/// gRPC service sees no call, while a clean token's call goes through.
public sealed class HeaderInjectionGrpcTests
{
    public static readonly TheoryData<string> Breaks = new() { "\r\n", "\n", "\0", "\x7f" };

    static HttpRequestMessage Request(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return request;
    }

    [Theory]
    [MemberData(nameof(Breaks))]
    public async Task GrpcMetadata_IdentityWithControl_Refused401AndServiceNotCalled(string brk)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StockServer.StartAsync();
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              stock: { protocol: grpc, urls: ["{{server.Url}}"], proto: "{{StockServer.ProtoPath}}", timeout: 5s }
            auth:
              jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{idp.JwksUrl}}", clockSkew: 0s }
            routes:
              - name: item
                match: { path: "/api/items/{sku}", methods: [GET] }
                service: stock
                auth: [jwt]
                grpc: { method: stock.v1.Stock/GetItem }
            """);
        using var client = gateway.CreateClient();

        using var bySubjectRequest = Request("/api/items/A1", idp.Token($"alice{brk}x-user-id: root"));
        using var bySubject = await client.SendAsync(bySubjectRequest, ct);
        using var byScopeRequest = Request("/api/items/A1", idp.Token("alice", $"stock:read{brk}x"));
        using var byScope = await client.SendAsync(byScopeRequest, ct);

        bySubject.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ProblemResponse.ReadAsync(bySubject, ct)).Type.ShouldBe(Problem.Types.Unauthorized);
        byScope.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        server.State.Calls.ShouldBe(0);

        using var cleanRequest = Request("/api/items/A1", idp.Token("alice"));
        using var clean = await client.SendAsync(cleanRequest, ct);

        clean.StatusCode.ShouldBe(HttpStatusCode.OK);
        server.State.Calls.ShouldBe(1);
    }
}

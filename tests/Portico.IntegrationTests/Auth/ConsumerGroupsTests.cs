using System.Net;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// Consumer groups: forwarded as an identity header (a client's copy removed), required by routes through `claims`.
public sealed class ConsumerGroupsTests
{
    static readonly string PartnerKey = ApiKeys.Derive("groups-partner");
    static readonly string PlainKey = ApiKeys.Derive("groups-plain");

    static string Config(TestBackend backend) => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        auth:
          apikey: { header: X-Api-Key }
          consumers:
            partner-app: { groups: [partners, beta], keys: ["{{ApiKeys.Hash(PartnerKey)}}"] }
            plain-app: { keys: ["{{ApiKeys.Hash(PlainKey)}}"] }
        routes:
          - { name: partners, match: { path: "/partners/{**rest}" }, service: api, auth: [apikey], claims: { groups: [partners] } }
          - { name: open, match: { path: "/open/{**rest}" }, service: api, auth: [apikey] }
        """;

    static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string key, string? spoofedGroups = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", key);
        if (spoofedGroups is not null) request.Headers.Add("X-Consumer-Groups", spoofedGroups);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ConsumerInGroups_GroupsHeaderReachesUpstream_ClientCopyReplaced()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var partner = await GetAsync(client, "/open/a", PartnerKey, spoofedGroups: "admins");
        using var plain = await GetAsync(client, "/open/b", PlainKey, spoofedGroups: "admins");

        partner.StatusCode.ShouldBe(HttpStatusCode.OK);
        plain.StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.Received.Single(r => r.PathAndQuery == "/open/a").Headers["X-Consumer-Groups"].ShouldBe("partners beta");
        backend.Received.Single(r => r.PathAndQuery == "/open/b").Headers.ContainsKey("X-Consumer-Groups").ShouldBeFalse();
    }

    [Fact]
    public async Task RouteRequiringAGroup_MemberPasses_NonMember403UpstreamNotCalled()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var member = await GetAsync(client, "/partners/x", PartnerKey);
        using var outsider = await GetAsync(client, "/partners/y", PlainKey, spoofedGroups: "partners");
        var problem = await ProblemResponse.ReadAsync(outsider, TestContext.Current.CancellationToken);

        member.StatusCode.ShouldBe(HttpStatusCode.OK);
        outsider.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        problem.Text.ShouldContain("claim groups");
        backend.CallsTo("/partners/y").ShouldBe(0);
    }
}

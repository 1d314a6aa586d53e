using System.Net;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Auth;

/// API keys and JWT bearer tokens through real HTTP: a test Kestrel upstream records what arrives, a test
/// identity provider serves the JWKS. Each refused request must be a 401/403 problem+json that never reached the upstream.
public sealed class EdgeAuthTests : IAsyncLifetime
{
    static readonly string GoodKey = ApiKeys.Generate();
    static readonly string ExpiredKey = ApiKeys.Generate();
    static readonly string NoScopeKey = ApiKeys.Generate();

    GatewayFixture _edge = null!;

    public async ValueTask InitializeAsync() => _edge = await GatewayFixture.StartAsync("users", f => $$"""
        services:
          users: { urls: ["{{f.Backend.Url}}"] }
        auth:
          apikey: { header: X-Api-Key, query: api_key }
          basic: { realm: legacy }
          jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{f.Idp.JwksUrl}}", clockSkew: 0s, maxTokenSize: 4KiB }
          consumers:
            app: { scopes: [users:read], keys: ["{{ApiKeys.Hash(GoodKey)}}", { hash: "{{ApiKeys.Hash(ExpiredKey)}}", expires: 2020-01-01 }] }
            bare: { keys: ["{{ApiKeys.Hash(NoScopeKey)}}"] }
        routes:
          - name: key-only
            match: { path: "/k/{id}" }
            service: users
            auth: [apikey]
          - name: basic-only
            match: { path: "/b/{id}" }
            service: users
            auth: [basic]
          - name: jwt-only
            match: { path: "/j/{id}" }
            service: users
            auth: [jwt]
          - name: either
            match: { path: "/e/{id}" }
            service: users
            auth: [apikey, jwt]
            scopes: [users:read]
          - name: admin
            match: { path: "/admin/{id}" }
            service: users
            auth: [jwt, apikey]
            claims: { role: [admin, ops], tenant: "*" }
          - name: me
            match: { path: /users/me }
            service: users
            auth: [jwt, apikey]
            rewrite: "/users/{identity.sub}"
          - name: pass
            match: { path: "/pass/{id}" }
            service: users
            auth: [jwt, apikey]
            passCredentials: true
          - name: public
            match: { path: "/public/{id}" }
            service: users
        """, identityProvider: true);

    public ValueTask DisposeAsync() => _edge.DisposeAsync();

    static string Unique(string prefix) => $"{prefix}/{Guid.NewGuid():N}";

    async Task<HttpResponseMessage> SendAsync(string path, string? key = null, string? bearer = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        if (bearer is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        return await _edge.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    TestBackend.ReceivedRequest Upstream(string path) => _edge.Backend.Received.Single(r => r.PathAndQuery.StartsWith(path, StringComparison.Ordinal));

    void NeverForwarded(string path) => _edge.Backend.Received.ShouldNotContain(r => r.PathAndQuery.Contains(path.Split('/').Last(), StringComparison.Ordinal));

    async Task ShouldBeUnauthorizedAsync(HttpResponseMessage response, string path, params string[] challenges)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        problem.ContentType.ShouldBe(Problem.ContentType);
        problem.Type.ShouldBe(Problem.Types.Unauthorized);
        response.Headers.WwwAuthenticate.Select(h => h.ToString()).ShouldBe(challenges);
        NeverForwarded(path);
    }

    [Fact]
    public async Task ApiKey_Valid_ForwardsWithIdentityHeadersAndWithoutTheKey()
    {
        var path = Unique("/k");

        using var response = await SendAsync(path, key: GoodKey);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var upstream = Upstream(path);
        upstream.Headers["X-User-Id"].ShouldBe("app");
        upstream.Headers["X-Consumer"].ShouldBe("app");
        upstream.Headers["X-User-Scopes"].ShouldBe("users:read");
        upstream.Headers["X-Auth-Method"].ShouldBe("apikey");
        upstream.Headers.ShouldNotContainKey("X-Api-Key");
    }

    [Fact]
    public async Task ApiKey_InQueryWhenEnabled_IsAcceptedAndRemovedFromTheUpstreamQuery()
    {
        var path = Unique("/k");

        using var response = await SendAsync($"{path}?a=1&api_key={Uri.EscapeDataString(GoodKey)}");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(path).PathAndQuery.ShouldBe($"{path}?a=1");
    }

    [Fact]
    public async Task ApiKey_Missing_Is401WithChallenge_UpstreamNotCalled()
    {
        var path = Unique("/k");

        using var response = await SendAsync(path);

        await ShouldBeUnauthorizedAsync(response, path, "ApiKey realm=\"portico\", header=\"X-Api-Key\"");
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("expired")]
    [InlineData("hash-instead-of-key")]
    [InlineData("oversized")]
    public async Task ApiKey_Refused_Is401_UpstreamNotCalled_KeyNotEchoed(string kind)
    {
        var path = Unique("/k");
        var key = kind switch
        {
            "unknown" => ApiKeys.Generate(),
            "expired" => ExpiredKey,
            "hash-instead-of-key" => ApiKeys.Hash(GoodKey),
            _ => "pk_" + new string('a', 5000),
        };

        using var response = await SendAsync(path, key: key);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        text.ShouldNotContain(key);
        text.ShouldContain(kind == "expired" ? "expired" : "not valid");
        NeverForwarded(path);
    }

    static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public async Task Basic_ConsumerIdAndKey_ForwardsIdentityAndStripsAuthorization()
    {
        var path = Unique("/b");

        using var response = await SendAsync(path, headers: new Dictionary<string, string> { ["Authorization"] = Basic("app", GoodKey) });

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var upstream = Upstream(path);
        upstream.Headers["X-Consumer"].ShouldBe("app");
        upstream.Headers["X-Auth-Method"].ShouldBe("basic");
        upstream.Headers.ShouldNotContainKey("Authorization");
    }

    [Theory]
    [InlineData("other-consumers-name")]
    [InlineData("wrong-password")]
    [InlineData("expired-key")]
    [InlineData("not-base64")]
    [InlineData("no-colon")]
    public async Task Basic_Refused_Is401WithBasicChallenge_UpstreamNotCalled(string kind)
    {
        var path = Unique("/b");
        var header = kind switch
        {
            "other-consumers-name" => Basic("bare", GoodKey),
            "wrong-password" => Basic("app", "pk_wrong"),
            "expired-key" => Basic("app", ExpiredKey),
            "not-base64" => "Basic ***",
            _ => "Basic " + Convert.ToBase64String("appnocolon"u8.ToArray()),
        };

        using var response = await SendAsync(path, headers: new Dictionary<string, string> { ["Authorization"] = header });

        await ShouldBeUnauthorizedAsync(response, path, "Basic realm=\"legacy\", charset=\"UTF-8\"");
    }

    [Fact]
    public async Task Jwt_Valid_ForwardsSubjectAndScopesAndStripsAuthorization()
    {
        var path = Unique("/j");

        using var response = await SendAsync(path, bearer: _edge.Idp.Token("alice", "users:read users:write"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var upstream = Upstream(path);
        upstream.Headers["X-User-Id"].ShouldBe("alice");
        upstream.Headers["X-User-Scopes"].ShouldBe("users:read users:write");
        upstream.Headers["X-Auth-Method"].ShouldBe("jwt");
        upstream.Headers.ShouldNotContainKey("X-Consumer");
        upstream.Headers.ShouldNotContainKey("Authorization");
    }

    [Fact]
    public async Task Jwt_Missing_Is401WithBearerChallenge()
    {
        var path = Unique("/j");

        using var response = await SendAsync(path);

        await ShouldBeUnauthorizedAsync(response, path, "Bearer realm=\"portico\"");
    }

    public static TheoryData<string> BadTokens => ["alg-none", "hs256-with-rsa-public-key", "expired", "not-yet-valid", "wrong-issuer", "wrong-audience", "unknown-kid", "malformed", "two-segments", "oversized", "no-subject"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Jwt_Bad_Is401_UpstreamNotCalled_TokenNotEchoed(string kind)
    {
        var path = Unique("/j");
        var token = kind switch
        {
            "alg-none" => TestIdentityProvider.UnsignedToken(),
            "hs256-with-rsa-public-key" => _edge.Idp.HmacWithPublicKeyToken(),
            "expired" => _edge.Idp.Token(notBefore: DateTime.UtcNow.AddMinutes(-20), expires: DateTime.UtcNow.AddMinutes(-10)),
            "not-yet-valid" => _edge.Idp.Token(notBefore: DateTime.UtcNow.AddMinutes(10), expires: DateTime.UtcNow.AddMinutes(20)),
            "wrong-issuer" => _edge.Idp.Token(issuer: "https://evil.test"),
            "wrong-audience" => _edge.Idp.Token(audience: "someone-else"),
            "unknown-kid" => _edge.Idp.Token(key: TestIdentityProvider.NewKey("never-published")),
            "malformed" => "not.a.jwt!",
            "two-segments" => "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0",
            "oversized" => _edge.Idp.Token(claims: new Dictionary<string, object> { ["pad"] = new string('x', 5000) }),
            _ => new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
            {
                Issuer = TestIdentityProvider.Issuer,
                Audience = TestIdentityProvider.Audience,
                Expires = DateTime.UtcNow.AddMinutes(5),
                SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(_edge.Idp.Current, "RS256"),
            }),
        };

        using var response = await SendAsync(path, bearer: token);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldNotContain(token);
        NeverForwarded(path);
    }

    [Fact]
    public async Task TwoSchemes_EitherCredentialIsAccepted_NoneGetsBothChallenges()
    {
        var byKey = Unique("/e");
        var byToken = Unique("/e");
        var none = Unique("/e");

        using var keyResponse = await SendAsync(byKey, key: GoodKey);
        using var tokenResponse = await SendAsync(byToken, bearer: _edge.Idp.Token("bob"));
        using var noneResponse = await SendAsync(none);

        keyResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(byKey).Headers["X-Auth-Method"].ShouldBe("apikey");
        tokenResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(byToken).Headers["X-User-Id"].ShouldBe("bob");
        await ShouldBeUnauthorizedAsync(noneResponse, none, "ApiKey realm=\"portico\", header=\"X-Api-Key\"", "Bearer realm=\"portico\"");
    }

    [Fact]
    public async Task Scopes_Missing_Is403ProblemNamingTheScope_ForKeyAndToken()
    {
        var byKey = Unique("/e");
        var byToken = Unique("/e");

        using var keyResponse = await SendAsync(byKey, key: NoScopeKey);
        using var tokenResponse = await SendAsync(byToken, bearer: _edge.Idp.Token("carol", scope: "orders:read"));

        foreach (var (response, path) in new[] { (keyResponse, byKey), (tokenResponse, byToken) })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
            problem.Type.ShouldBe(Problem.Types.Forbidden);
            problem.ContentType.ShouldBe(Problem.ContentType);
            problem.Text.ShouldContain("users:read");
            NeverForwarded(path);
        }
    }

    [Fact]
    public async Task Claims_RequiredByRoute_PresentPasses_MissingOrOtherValueIs403()
    {
        var ok = Unique("/admin");
        var arrayRole = Unique("/admin");
        var wrongRole = Unique("/admin");
        var noTenant = Unique("/admin");
        var byKey = Unique("/admin");

        using var a = await SendAsync(ok, bearer: _edge.Idp.Token(claims: new Dictionary<string, object> { ["role"] = "ops", ["tenant"] = "t1" }));
        using var b = await SendAsync(arrayRole, bearer: _edge.Idp.Token(claims: new Dictionary<string, object> { ["role"] = new[] { "user", "admin" }, ["tenant"] = "t1" }));
        using var c = await SendAsync(wrongRole, bearer: _edge.Idp.Token(claims: new Dictionary<string, object> { ["role"] = "user", ["tenant"] = "t1" }));
        using var d = await SendAsync(noTenant, bearer: _edge.Idp.Token(claims: new Dictionary<string, object> { ["role"] = "admin" }));
        using var e = await SendAsync(byKey, key: GoodKey);

        a.StatusCode.ShouldBe(HttpStatusCode.OK);
        b.StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var (response, path, claim) in new[] { (c, wrongRole, "role"), (d, noTenant, "tenant"), (e, byKey, "role") })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken)).Text.ShouldContain($"claim {claim}");
            NeverForwarded(path);
        }
    }

    [Fact]
    public async Task Jwt_ClaimNamedLikeTheConsumerClaim_DoesNotSetTheConsumer()
    {
        var path = Unique("/j");

        using var response = await SendAsync(path, bearer: _edge.Idp.Token("mallory", claims: new Dictionary<string, object> { ["portico:consumer"] = "app" }));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(path).Headers.ShouldNotContainKey("X-Consumer");
    }

    [Fact]
    public async Task Jwt_ScpArrayClaim_GrantsScopes()
    {
        var path = Unique("/e");

        using var response = await SendAsync(path, bearer: _edge.Idp.Token("dave", scope: null, claims: new Dictionary<string, object> { ["scp"] = new[] { "users:read", "x" } }));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(path).Headers["X-User-Scopes"].ShouldBe("users:read x");
    }

    [Fact]
    public async Task SpoofedIdentityHeaders_AreReplacedOnAuthenticatedRoutes_AndRemovedOnAnonymousOnes()
    {
        var spoof = new Dictionary<string, string> { ["X-User-Id"] = "admin", ["X-Consumer"] = "root", ["X-User-Scopes"] = "admin:all", ["X-Auth-Method"] = "forged" };
        var authenticated = Unique("/j");
        var anonymous = Unique("/public");

        using var a = await SendAsync(authenticated, bearer: _edge.Idp.Token("alice"), headers: spoof);
        using var b = await SendAsync(anonymous, headers: spoof);

        a.StatusCode.ShouldBe(HttpStatusCode.OK);
        var upstream = Upstream(authenticated);
        upstream.Headers["X-User-Id"].ShouldBe("alice");
        upstream.Headers["X-User-Scopes"].ShouldBe("users:read");
        upstream.Headers["X-Auth-Method"].ShouldBe("jwt");
        upstream.Headers.ShouldNotContainKey("X-Consumer");
        b.StatusCode.ShouldBe(HttpStatusCode.OK);
        var anon = Upstream(anonymous);
        foreach (var name in spoof.Keys) anon.Headers.ShouldNotContainKey(name);
    }

    [Fact]
    public async Task UsersMe_ByTokenAndByKey_IsRewrittenToTheCallersSubject()
    {
        _edge.Backend.Received.Clear();

        using var byToken = await SendAsync("/users/me", bearer: _edge.Idp.Token("alice"));
        using var byKey = await SendAsync("/users/me", key: GoodKey);
        using var anonymous = await SendAsync("/users/me");

        byToken.StatusCode.ShouldBe(HttpStatusCode.OK);
        byKey.StatusCode.ShouldBe(HttpStatusCode.OK);
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        _edge.Backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/users/alice", "/users/app"]);
    }

    [Fact]
    public async Task UsersMe_SubjectWithSlash_StaysOneEncodedSegment_DotSegmentSubjectIsRefused()
    {
        _edge.Backend.Received.Clear();

        using var slash = await SendAsync("/users/me", bearer: _edge.Idp.Token("../admin"));
        using var dots = await SendAsync("/users/me", bearer: _edge.Idp.Token(".."));
        using var dot = await SendAsync("/users/me", bearer: _edge.Idp.Token("."));

        _edge.Backend.Received.Select(r => r.RawTarget).ShouldBe(["/users/..%2Fadmin"]);
        dots.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        dot.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task PassCredentials_RouteOptsIn_UpstreamSeesTheCredential()
    {
        var byToken = Unique("/pass");
        var byKey = Unique("/pass");
        var token = _edge.Idp.Token("alice");

        using var a = await SendAsync(byToken, bearer: token);
        using var b = await SendAsync(byKey, key: GoodKey);

        a.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(byToken).Headers["Authorization"].ShouldBe("Bearer " + token);
        b.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(byKey).Headers["X-Api-Key"].ShouldBe(GoodKey);
    }

    [Fact]
    public async Task AnonymousRoute_ForwardsClientCredentialsUntouched()
    {
        var path = Unique("/public");

        using var response = await SendAsync(path, key: "pk_whatever", bearer: "opaque");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Upstream(path).Headers["Authorization"].ShouldBe("Bearer opaque");
    }
}

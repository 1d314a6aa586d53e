using Portico.Configuration;
using Portico.Tests.Configuration;

namespace Portico.Tests.Auth;

public sealed class AuthConfigTests
{
    static readonly string Hash = Portico.Auth.ApiKeys.Hash("pk_a");

    static string Config(string auth, string route = "auth: [apikey]", string gatewayAuth = "") => $$"""
        gateways:
          web: { listen: ["http://127.0.0.1:8080"] {{gatewayAuth}} }
        services:
          users: { urls: [http://127.0.0.1:5101] }
        auth:
        {{auth}}
        routes:
          - name: user
            match: { path: "/api/users/{id}" }
            service: users
            {{route}}
        """;

    const string Full = """
          apikey: { header: X-Key, query: key }
          jwt: { issuer: https://id.example, audience: [portico, api], jwks: https://id.example/jwks.json, algorithms: [RS256, ES256], clockSkew: 0s, scopeClaim: permissions, subjectClaim: uid, maxTokenSize: 4KiB, jwksRefresh: 1h, jwksMinRefresh: 5s }
          identityHeaders: { subject: X-Sub, method: X-How }
          consumers:
            app: { scopes: [users:read], keys: ["HASH", { hash: "sha256:0000000000000000000000000000000000000000000000000000000000000000", expires: 2027-01-31 }] }
        """;

    [Fact]
    public void Bind_FullAuthSection_ReadsEverySetting()
    {
        var config = TestConfig.LoadValid(Config(Full.Replace("HASH", Hash, StringComparison.Ordinal), "auth: [apikey, jwt]\n    scopes: [users:read]\n    passCredentials: true"));

        var auth = config.Auth!;
        auth.ApiKey.ShouldBe(new ApiKeyDefinition("X-Key", "key"));
        auth.Jwt!.Issuer.ShouldBe("https://id.example");
        auth.Jwt.Audiences.ShouldBe(["portico", "api"]);
        auth.Jwt.Algorithms.ShouldBe(["RS256", "ES256"]);
        auth.Jwt.ClockSkew.ShouldBe(TimeSpan.Zero);
        auth.Jwt.ScopeClaim.ShouldBe("permissions");
        auth.Jwt.SubjectClaim.ShouldBe("uid");
        auth.Jwt.MaxTokenSize.ShouldBe(4096);
        auth.Jwt.JwksMinRefresh.ShouldBe(TimeSpan.FromSeconds(5));
        auth.IdentityHeaders.ShouldBe(new IdentityHeadersDefinition("X-Sub", "X-User-Scopes", "X-Consumer", "X-How"));
        var app = auth.Consumers.Single();
        app.Scopes.ShouldBe(["users:read"]);
        app.Keys[0].ShouldBe(new ConsumerKeyDefinition(Hash, null));
        app.Keys[1].Expires.ShouldBe(new DateTimeOffset(2027, 1, 31, 0, 0, 0, TimeSpan.Zero));
        var route = config.Routes.Single();
        route.Auth.ShouldBe(["apikey", "jwt"]);
        route.Scopes.ShouldBe(["users:read"]);
        route.PassCredentials.ShouldBeTrue();
    }

    [Fact]
    public void SchemesOf_RouteListGatewayDefaultAndAnonymous_FollowPrecedence()
    {
        var config = TestConfig.LoadValid(Config("  apikey: {}\n  jwt: { issuer: i, audience: a, jwks: https://id.example/jwks }", "", ", auth: [jwt]"));
        var gateway = config.Gateways.Single();
        var route = config.Routes.Single();

        route.SchemesOn(gateway).ShouldBe(["jwt"]);
        (route with { Auth = ["apikey"] }).SchemesOn(gateway).ShouldBe(["apikey"]);
        (route with { Auth = [] }).SchemesOn(gateway).ShouldBeEmpty();
        (route with { Anonymous = true }).SchemesOn(gateway).ShouldBeEmpty();
    }

    [Fact]
    public void Validate_UnknownScheme_SuggestsTheNearestOne()
    {
        var error = TestConfig.Errors(Config("  apikey: {}", "auth: [apikye]")).ErrorAt("routes[0].auth");

        error.Message.ShouldContain("unknown auth scheme 'apikye'");
        error.Hint!.ShouldContain("apikey");
    }

    [Fact]
    public void Validate_SchemeNotConfigured_IsAnError()
    {
        TestConfig.Errors(Config("  apikey: {}", "auth: [jwt]")).ErrorAt("routes[0].auth").Message.ShouldContain("'jwt' is not configured");
    }

    [Fact]
    public void Bind_RouteClaims_AreReadAsConditions_AndNeedAScheme()
    {
        var config = TestConfig.LoadValid(Config("  apikey: {}", "auth: [apikey]\n    claims: { role: [admin, ops], tenant: \"*\" }"));

        var claims = config.Routes.Single().Claims!;
        claims.Count.ShouldBe(2);
        claims[0].Equivalent(new ValueCondition("role", ["admin", "ops"])).ShouldBeTrue();
        claims[1].Equivalent(new ValueCondition("tenant", [])).ShouldBeTrue();
        TestConfig.Errors(Config("  apikey: {}", "claims: { role: admin }")).ErrorAt("routes[0].claims").Message.ShouldContain("accepts no credentials");
    }

    [Fact]
    public void Bind_Session_DesignShape_IsAcceptedWithDefaults()
    {
        var config = TestConfig.LoadValid(Config("  session: { cookie: portico_session, login: { service: users, path: /auth/verify }, ttl: 8h, store: memory }", "auth: [session]"));

        config.Auth!.Session.ShouldBe(new SessionDefinition("portico_session", "users", "/auth/verify", TimeSpan.FromHours(8), TimeSpan.FromMinutes(30), true, "/auth/login", "/auth/logout", StoreKind.Memory));
    }

    [Fact]
    public void Validate_SessionWithUnknownServiceRedisStoreOrIdleOverTtl_AreErrors()
    {
        TestConfig.Errors(Config("  session: { login: { service: user, path: /v } }", "auth: [session]")).ErrorAt("auth.session.login.service").Hint!.ShouldContain("users");
        TestConfig.Errors(Config("  session: { login: { service: users, path: /v }, store: redis }", "auth: [session]")).ErrorAt("auth.session.store");
        TestConfig.Errors(Config("  session: { login: { service: users, path: /v }, ttl: 1h, idle: 2h }", "auth: [session]")).ErrorAt("auth.session.idle");
        TestConfig.Errors(Config("  session: { cookie: sid }", "auth: []")).ErrorAt("auth.session.login");
    }

    [Fact]
    public void Validate_ScopesOnAnAnonymousRoute_IsAnError()
    {
        TestConfig.Errors(Config("  apikey: {}", "scopes: [users:read]")).ErrorAt("routes[0].scopes").Message.ShouldContain("accepts no credentials");
    }

    [Fact]
    public void Validate_IdentityRewriteOnAnAnonymousRoute_IsAnError()
    {
        TestConfig.Errors(Config("  apikey: {}", "anonymous: true\n    rewrite: /users/{identity.sub}")).ErrorAt("routes[0].rewrite").Message.ShouldContain("anonymous");
    }

    [Fact]
    public void Validate_IdentityRewriteOnAnAuthenticatedRoute_IsAccepted()
    {
        var config = TestConfig.LoadValid(Config("  apikey: {}", "auth: [apikey]\n    rewrite: /users/{identity.sub}/{id}"));

        config.Routes.Single().Rewrite.ShouldBe("/users/{identity.sub}/{id}");
    }

    [Theory]
    [InlineData("pk_plain-key-by-mistake")]
    [InlineData("sha256:ABCDEF")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    public void Validate_KeyThatIsNotAHash_IsAnErrorWithTheFormat(string key)
    {
        var error = TestConfig.Errors(Config($"  apikey: {"{}"}\n  consumers:\n    app: {"{"} keys: [\"{key}\"] {"}"}")).ErrorAt("auth.consumers.app.keys[0]");

        error.Message.ShouldBe("not a key hash");
        error.Hint!.ShouldContain("sha256:");
    }

    [Fact]
    public void Validate_SameHashForTwoConsumers_IsAnError()
    {
        var errors = TestConfig.Errors(Config($"  apikey: {"{}"}\n  consumers:\n    a: {"{"} keys: [\"{Hash}\"] {"}"}\n    b: {"{"} keys: [\"{Hash}\"] {"}"}"));

        errors.ErrorAt("auth.consumers.b.keys[0]").Message.ShouldContain("consumer 'a'");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("HS256")]
    public void Validate_UnsafeJwtAlgorithm_IsRefused(string alg)
    {
        var error = TestConfig.Errors(Config($"  jwt: {"{"} issuer: i, audience: a, jwks: https://id.example/jwks, algorithms: [{alg}] {"}"}", "auth: [jwt]")).ErrorAt("auth.jwt.algorithms");

        error.Message.ShouldContain($"'{alg}'");
    }

    [Fact]
    public void Validate_JwksOverPlainHttpToARemoteHost_IsRefused_LoopbackIsAccepted()
    {
        TestConfig.Errors(Config("  jwt: { issuer: i, audience: a, jwks: http://id.example/jwks }", "auth: [jwt]")).ErrorAt("auth.jwt.jwks").Message.ShouldContain("plain http");
        TestConfig.LoadValid(Config("  jwt: { issuer: i, audience: a, jwks: http://127.0.0.1:9000/jwks }", "auth: [jwt]"));
    }

    [Fact]
    public void Bind_JwtWithoutIssuerAudienceOrJwks_ReportsEachMissingKey()
    {
        var errors = TestConfig.Errors(Config("  jwt: { clockSkew: 5s }", "auth: []"));

        errors.ErrorAt("auth.jwt.issuer");
        errors.ErrorAt("auth.jwt.audience");
        errors.ErrorAt("auth.jwt.jwks");
    }

    [Fact]
    public void Validate_AnonymousRouteThatListsSchemes_IsAnError()
    {
        TestConfig.Errors(Config("  apikey: {}", "auth: [apikey]\n    anonymous: true")).ErrorAt("routes[0].anonymous");
    }
}

using Portico.Configuration;
using Portico.Routing;
using Portico.Tests.Configuration;

namespace Portico.Tests.Routing;

public sealed class MethodFallThroughTests
{
    const string Head = """
        services:
          api: { urls: ["http://127.0.0.1:5101"] }
        auth:
          apikey: { header: X-Api-Key }
          jwt: { issuer: "https://idp", audience: portico, jwks: "https://idp/jwks" }
        rateLimits:
          strict: { algorithm: fixed-window, limit: 10, window: 1m, key: ip }
          loose: { algorithm: fixed-window, limit: 1000, window: 1m, key: ip }
        routes:

        """;

    static IReadOnlyList<ConfigError> WarningsFor(string routes)
    {
        var result = TestConfig.Load(Head + routes);
        result.Errors.ShouldBeEmpty();
        return MethodFallThrough.Warnings(result.Config!, result.Sources);
    }

    static PathTemplate T(string path) => PathTemplate.TryParse(path, out var t, out var error) ? t! : throw new ArgumentException(error);

    [Theory]
    [InlineData("/api/users/{id}", "/{**rest}", true)]
    [InlineData("/api/users/{id}", "/api/{**rest}", true)]
    [InlineData("/api/users/{id}", "/api/users/{name}", true)]
    [InlineData("/api/users/{id}", "/API/Users/1", true)]
    [InlineData("/api/users/{id}", "/api/orders/{id}", false)]
    [InlineData("/api/users/{id}", "/api/users", false)]
    [InlineData("/api/users/{id}", "/api/users/{id}/orders", false)]
    [InlineData("/api/users/{id?}", "/api/users", true)]
    [InlineData("/api/users/{id}", "/api/u{x}/{id}", true)]
    [InlineData("/", "/{**rest}", true)]
    [InlineData("/a", "/b", false)]
    public void MayOverlap_Templates_ConservativeAnswer(string a, string b, bool expected)
    {
        PathOverlap.MayOverlap(T(a), T(b)).ShouldBe(expected);
        PathOverlap.MayOverlap(T(b), T(a)).ShouldBe(expected);
    }

    [Fact]
    public void Warnings_ProtectedRouteWithNextBeforeAnonymousCatchAll_NamesBothRoutesWithHint()
    {
        var warning = WarningsFor("""
              - { name: users, match: { path: "/api/users/{id}", methods: [GET] }, service: api, auth: [apikey], otherMethods: next }
              - { name: legacy, match: { path: "/{**rest}" }, service: api }
            """).ShouldHaveSingleItem();

        warning.Path.ShouldBe("routes[0].match");
        warning.Message.ShouldContain("route 'users': requests with other methods than GET fall through to route 'legacy' (routes[1]), which needs no authentication");
        warning.Hint!.ShouldContain("otherMethods: reject");
        warning.Location.ShouldNotBeNull().Line.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Warnings_DefaultRejectOnProtectedRoute_NoWarning()
    {
        WarningsFor("""
              - { name: users, match: { path: "/api/users/{id}", methods: [GET] }, service: api, auth: [apikey] }
              - { name: legacy, match: { path: "/{**rest}" }, service: api }
            """).ShouldBeEmpty();
    }

    [Fact]
    public void Warnings_HeaderConditionOnProtectedRoute_WarnsEvenWithReject()
    {
        var warning = WarningsFor("""
              - { name: v2, match: { path: "/api/users/{id}", headers: { Api-Version: "2" } }, service: api, auth: [apikey] }
              - { name: legacy, match: { path: "/{**rest}" }, service: api }
            """).ShouldHaveSingleItem();

        warning.Message.ShouldContain("failing its match conditions");
        warning.Hint!.ShouldContain("protect route 'legacy'");
    }

    [Theory]
    [InlineData("auth: [apikey, jwt]", "also accepts jwt")]
    [InlineData("auth: [apikey], rateLimit: loose", "looser rate limit")]
    [InlineData("auth: [apikey]", "has no rate limit")]
    public void Warnings_LaterRouteWeakerInOneWay_SaysWhatIsLost(string catchAll, string lost)
    {
        WarningsFor($$"""
              - { name: users, match: { path: "/api/users/{id}", methods: [GET] }, service: api, auth: [apikey], scopes: [read], rateLimit: strict, otherMethods: next }
              - { name: legacy, match: { path: "/{**rest}" }, service: api, {{catchAll}}, scopes: [read] }
            """).ShouldHaveSingleItem().Message.ShouldContain(lost);
    }

    [Theory]
    [InlineData("- { name: legacy, match: { path: \"/{**rest}\" }, service: api, auth: [apikey] }")]
    [InlineData("- { name: other, match: { path: \"/api/orders/{**rest}\" }, service: api }")]
    [InlineData("- { name: reads, match: { path: \"/{**rest}\", methods: [GET] }, service: api }")]
    public void Warnings_LaterRouteAsStrongOrNotOverlappingOrSameMethods_NoWarning(string later)
    {
        WarningsFor($$"""
              - { name: users, match: { path: "/api/users/{id}", methods: [GET] }, service: api, auth: [apikey], otherMethods: next }
              {{later}}
            """).ShouldBeEmpty();
    }

    [Fact]
    public void RejectsOtherMethods_Defaults_RejectOnlyWhenProtectedAndMethodsListed()
    {
        var config = TestConfig.LoadValid(Head + """
              - { name: protected, match: { path: "/a", methods: [GET] }, service: api, auth: [apikey] }
              - { name: limited, match: { path: "/b", methods: [GET] }, service: api, rateLimit: strict }
              - { name: open, match: { path: "/c", methods: [GET] }, service: api }
              - { name: any, match: { path: "/d" }, service: api, auth: [apikey] }
              - { name: explicit, match: { path: "/e", methods: [GET] }, service: api, otherMethods: reject }
              - { name: opted-out, match: { path: "/f", methods: [GET] }, service: api, auth: [apikey], otherMethods: next }
            """);
        var gateway = config.Gateways[0];

        config.Routes.Select(r => MethodFallThrough.RejectsOtherMethods(r, gateway, config)).ShouldBe([true, true, false, false, true, false]);
    }
}

using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// The users service behind a gateway that takes JWT bearer tokens from the test identity provider's JWKS.
static class JwtGateway
{
    /// `/users/{id}` on the users service, requiring a JWT for issuer TestIdentityProvider.Issuer, audience `portico`.
    public static Task<GatewayFixture> StartAsync() => GatewayFixture.StartAsync("users", f => $$"""
        services:
          users: { urls: ["{{f.Backend.Url}}"] }
        auth:
          jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{f.Idp.JwksUrl}}" }
        routes:
          - { name: users, match: { path: "/users/{id}" }, service: users, auth: [jwt] }
        """, identityProvider: true);
}

using System.Net;
using System.Security.Cryptography;
using System.Text;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Auth;

/// RFC 7515 §4.1.11 through real HTTP: a token correctly signed by the provider's published key but whose header
/// carries `crit` is refused (401, error="invalid_token"), whatever form `crit` takes; the same token without it passes.
public sealed class JwtCriticalHeaderTests : IAsyncLifetime
{
    GatewayFixture _jwt = null!;

    public async ValueTask InitializeAsync() => _jwt = await JwtGateway.StartAsync();

    public ValueTask DisposeAsync() => _jwt.DisposeAsync();

    /// An RS256 token with exactly this JOSE header (the kid of the provider's current key is added), validly signed.
    string Signed(string extraHeader)
    {
        var header = $"{{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"{_jwt.Idp.Current.KeyId}\"{extraHeader}}}";
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        var payload = $"{{\"sub\":\"alice\",\"iss\":\"{TestIdentityProvider.Issuer}\",\"aud\":\"{TestIdentityProvider.Audience}\",\"exp\":{exp}}}";
        var input = Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Base64Url(Encoding.UTF8.GetBytes(payload));
        var signature = _jwt.Idp.Current.Rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + Base64Url(signature);
    }

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    Task<HttpResponseMessage> GetAsync(string path, string token) => _jwt.GetAsync(path, bearer: token);

    [Fact]
    public async Task Jwt_SameHeaderWithoutCrit_IsAccepted()
    {
        using var response = await GetAsync("/users/plain", Signed(",\"x-ext\":\"v\""));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    public static TheoryData<string> CritForms => new()
    {
        ",\"crit\":[\"x-ext\"],\"x-ext\":\"v\"",      // an extension nobody here understands
        ",\"crit\":[\"x-ext\"]",                      // named but absent from the header
        ",\"crit\":[]",                               // empty list, forbidden to producers
        ",\"crit\":\"x-ext\",\"x-ext\":\"v\"",        // not an array
        ",\"crit\":[\"alg\"]",                        // a registered header parameter
        ",\"crit\":[\"b64\"],\"b64\":false",          // RFC 7797, not supported
        ",\"crit\":null",
        ",\"\\u0063rit\":[\"x-ext\"],\"x-ext\":\"v\"", // the name escaped
    };

    [Theory]
    [MemberData(nameof(CritForms))]
    public async Task Jwt_WithCrit_Is401InvalidToken_UpstreamNotCalled(string crit)
    {
        var path = "/users/" + Guid.NewGuid().ToString("N");

        using var response = await GetAsync(path, Signed(crit));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        problem.Type.ShouldBe(Problem.Types.Unauthorized);
        problem.Text.ShouldContain("crit");
        response.Headers.WwwAuthenticate.Single().ToString().ShouldBe("Bearer realm=\"portico\", error=\"invalid_token\"");
        _jwt.Backend.Received.ShouldNotContain(r => r.PathAndQuery == path);
    }

    [Fact]
    public async Task Jwt_WithCrit_AfterAGoodTokenWasRemembered_StillRefusedEveryTime()
    {
        using var good = await GetAsync("/users/good", Signed(""));
        using var goodAgain = await GetAsync("/users/good", Signed(""));
        var crit = Signed(",\"crit\":[\"x-ext\"],\"x-ext\":\"v\"");

        using var first = await GetAsync("/users/crit", crit);
        using var second = await GetAsync("/users/crit", crit);

        good.StatusCode.ShouldBe(HttpStatusCode.OK);
        goodAgain.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        second.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        _jwt.Backend.Received.ShouldNotContain(r => r.PathAndQuery == "/users/crit");
    }
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using Portico.Auth;

namespace Portico.Tests.Auth;

/// The key set against a real Kestrel JWKS endpoint, with time from a FakeTimeProvider: when the background refresh
/// runs follows the response's cache lifetime, and unknown kids share one throttled fetch.
public sealed class JwksKeySetTests : IAsyncLifetime
{
    readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    readonly HttpClient _http = new();
    WebApplication _app = null!;
    volatile string _kid = "k1";
    volatile string? _cacheControl = "public, max-age=120";
    int _fetches;
    Uri _url = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        using var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(false);
        _app.MapGet("/jwks.json", (HttpContext context) =>
        {
            Interlocked.Increment(ref _fetches);
            if (_cacheControl is { } cacheControl) context.Response.Headers.CacheControl = cacheControl;
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(parameters) { KeyId = _kid });
            return Results.Json(new { keys = new[] { new { kty = "RSA", kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        await _app.StartAsync();
        _url = new Uri(_app.Urls.First() + "/jwks.json");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    JwksKeySet NewSet() => new(_url, _http, _time, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5));

    static async Task PollAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the condition did not come true in 30 s");
            await Task.Delay(10);
        }
    }

    static async Task<string[]> KidsAsync(JwksKeySet set) =>
        [.. (await set.GetConfigurationAsync(TestContext.Current.CancellationToken)).SigningKeys.Select(k => k.KeyId)];

    [Fact]
    public async Task BackgroundRefresh_MaxAge120s_RunsAt90PercentOfIt_AndPicksUpARotatedKey()
    {
        using var set = NewSet();
        (await KidsAsync(set)).ShouldBe(["k1"]);
        await PollAsync(() => set.NextRefresh is not null);
        set.NextRefresh.ShouldBe(_time.GetUtcNow() + TimeSpan.FromSeconds(108));
        _kid = "k2";

        _time.Advance(TimeSpan.FromSeconds(107));
        var before = Volatile.Read(ref _fetches);
        _time.Advance(TimeSpan.FromSeconds(1));
        await PollAsync(() => set.NextRefresh == _time.GetUtcNow() + TimeSpan.FromSeconds(108));

        before.ShouldBe(1);
        Volatile.Read(ref _fetches).ShouldBe(2);
        (await KidsAsync(set)).ShouldBe(["k2"]);
    }

    [Theory]
    [InlineData(null, 540)]                       // no lifetime given: the configured refresh (10m)
    [InlineData("max-age=5", 54)]                 // below the 1 min floor
    [InlineData("no-cache", 54)]
    [InlineData("max-age=86400000", 77760)]       // above the 24 h ceiling
    [InlineData("max-age=900, s-maxage=3600", 3240)]
    public async Task BackgroundRefresh_CacheLifetime_IsBounded(string? cacheControl, int refreshAfterSeconds)
    {
        _cacheControl = cacheControl;
        using var set = NewSet();

        await KidsAsync(set);
        await PollAsync(() => set.NextRefresh is not null);

        set.NextRefresh.ShouldBe(_time.GetUtcNow() + TimeSpan.FromSeconds(refreshAfterSeconds));
    }

    [Fact]
    public async Task EnsureKeyAsync_ForgedThenRealNewKid_OneFetchAfterMinRefresh_FindsTheNewKey()
    {
        using var set = NewSet();
        await KidsAsync(set);
        await PollAsync(() => set.NextRefresh is not null);

        var forged = set.EnsureKeyAsync("forged", TestContext.Current.CancellationToken);
        _kid = "k2";
        var real = set.EnsureKeyAsync("k2", TestContext.Current.CancellationToken);
        var waitedForTheThrottle = !forged.IsCompleted && !real.IsCompleted;
        _time.Advance(TimeSpan.FromSeconds(5));
        await Task.WhenAll(forged, real);

        waitedForTheThrottle.ShouldBeTrue();
        Volatile.Read(ref _fetches).ShouldBe(2);
        (await KidsAsync(set)).ShouldBe(["k2"]);
    }

    [Fact]
    public async Task EnsureKeyAsync_KnownKid_NoFetch()
    {
        using var set = NewSet();
        await KidsAsync(set);

        await set.EnsureKeyAsync("k1", TestContext.Current.CancellationToken);

        Volatile.Read(ref _fetches).ShouldBe(1);
    }
}

using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Portico.Auth;

/// One identity provider's published keys, kept fresh ahead of need: the JWKS is fetched again in the background when
/// 90% of its cache lifetime (the response's max-age or Expires, held between <see cref="MinLifetime"/> and
/// <see cref="MaxLifetime"/>; the configured refresh when it names none) has passed. A token naming a `kid` not in the
/// set waits for a fetch: the one in flight, else a new one once <c>minRefresh</c> has passed since the last began —
/// so a forged `kid` costs the provider at most one fetch per <c>minRefresh</c> and can only delay, never prevent, the
/// fetch that finds a freshly rotated key. Fetches are never concurrent. A failed fetch keeps the current keys.
internal sealed class JwksKeySet : IConfigurationManager<OpenIdConnectConfiguration>, IDisposable
{
    public static readonly TimeSpan MinLifetime = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);
    const int MaxDocumentBytes = 1024 * 1024;

    readonly Uri _url;
    readonly HttpClient _http;
    readonly TimeProvider _time;
    readonly TimeSpan _defaultLifetime;
    readonly TimeSpan _minRefresh;
    readonly ITimer _timer;
    readonly Lock _gate = new();
    OpenIdConnectConfiguration? _current;
    Task _fetch = Task.CompletedTask;
    bool _fetching;
    DateTimeOffset _lastFetchStarted = DateTimeOffset.MinValue;
    bool _disposed;

    public JwksKeySet(Uri url, HttpClient http, TimeProvider time, TimeSpan defaultLifetime, TimeSpan minRefresh)
    {
        _url = url;
        _http = http;
        _time = time;
        _defaultLifetime = defaultLifetime;
        _minRefresh = minRefresh;
        _timer = time.CreateTimer(static state => ((JwksKeySet)state!).FetchInBackground(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        FetchInBackground();
    }

    /// When the background refresh is due next (for tests and diagnostics); null before the first fetch.
    public DateTimeOffset? NextRefresh { get; private set; }

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        if (Volatile.Read(ref _current) is { } current) return current;
        // No keys yet (the provider was unreachable): retried at most once per minRefresh, however many requests ask.
        await FetchAsync(wait: false, onlyIfAllowed: true).WaitAsync(cancel).ConfigureAwait(false);
        return Volatile.Read(ref _current) ?? throw new InvalidOperationException("the JWKS could not be fetched");
    }

    /// Before a token naming <paramref name="kid"/> is validated: when the set lacks that key, waits for a fetch.
    public async Task EnsureKeyAsync(string kid, CancellationToken cancel)
    {
        if (Volatile.Read(ref _current) is { } current && Has(current, kid)) return;
        await FetchAsync(wait: true).WaitAsync(cancel).ConfigureAwait(false);
    }

    /// JwtBearer asks this after a token's key was not found: the pre-check already waited for a fetch, so only a fetch
    /// that is allowed right now is started, without waiting.
    public void RequestRefresh() => _ = FetchAsync(wait: false, onlyIfAllowed: true);

    static bool Has(OpenIdConnectConfiguration configuration, string kid)
    {
        foreach (var key in configuration.SigningKeys)
        {
            if (string.Equals(key.KeyId, kid, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    void FetchInBackground() => _ = FetchAsync(wait: false);

    /// The fetch in flight, else a new one; with <paramref name="wait"/> a new one starts no sooner than minRefresh
    /// after the last began (the caller waits for it), without, it starts at once.
    Task FetchAsync(bool wait, bool onlyIfAllowed = false)
    {
        lock (_gate)
        {
            if (_disposed) return Task.CompletedTask;
            if (_fetching) return _fetch;
            var delay = _lastFetchStarted + _minRefresh - _time.GetUtcNow();
            if (onlyIfAllowed && delay > TimeSpan.Zero) return Task.CompletedTask;
            _fetching = true;
            _fetch = RunAsync(wait && delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
            return _fetch;
        }
    }

    async Task RunAsync(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero) await Task.Delay(delay, _time).ConfigureAwait(false);
        var started = _time.GetUtcNow();
        lock (_gate) _lastFetchStarted = started;
        TimeSpan next;
        try
        {
            var (configuration, lifetime) = await DownloadAsync().ConfigureAwait(false);
            Volatile.Write(ref _current, configuration);
            next = lifetime * 0.9;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
        {
            // Kept: the current keys. Tried again soon, but no sooner than an unknown kid could ask for it.
            next = TimeSpan.FromTicks(Math.Max(_minRefresh.Ticks, TimeSpan.FromSeconds(30).Ticks));
        }
        lock (_gate)
        {
            _fetching = false;
            if (_disposed) return;
            NextRefresh = _time.GetUtcNow() + next;
            _timer.Change(next, Timeout.InfiniteTimeSpan);
        }
    }

    async Task<(OpenIdConnectConfiguration, TimeSpan)> DownloadAsync()
    {
        using var response = await _http.GetAsync(_url, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > MaxDocumentBytes) throw new InvalidOperationException("the JWKS document is too large");
        using var body = await Http.PooledBody.ReadAsync(await response.Content.ReadAsStreamAsync().ConfigureAwait(false), response.Content.Headers.ContentLength,
            MaxDocumentBytes, CancellationToken.None).ConfigureAwait(false);
        if (body.TooLarge) throw new InvalidOperationException("the JWKS document is too large");
        var keys = new JsonWebKeySet(System.Text.Encoding.UTF8.GetString(body.Span));
        var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = keys };
        foreach (var key in keys.GetSigningKeys()) configuration.SigningKeys.Add(key);
        return (configuration, Lifetime(response));
    }

    /// The response's own freshness (RFC 9111 §4.2.1: s-maxage, max-age, else Expires minus Date), within the bounds.
    TimeSpan Lifetime(HttpResponseMessage response)
    {
        var cacheControl = response.Headers.CacheControl;
        TimeSpan? lifetime = cacheControl is { NoStore: true } or { NoCache: true } ? TimeSpan.Zero : cacheControl?.SharedMaxAge ?? cacheControl?.MaxAge;
        if (lifetime is null && response.Content.Headers.Expires is { } expires) lifetime = expires - (response.Headers.Date ?? _time.GetUtcNow());
        if (lifetime is not { } found) return _defaultLifetime;
        return found < MinLifetime ? MinLifetime : found > MaxLifetime ? MaxLifetime : found;
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _timer.Dispose();
    }
}

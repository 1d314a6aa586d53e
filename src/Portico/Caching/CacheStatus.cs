using System.Globalization;

namespace Portico.Caching;

/// The `Cache-Status` response header (RFC 9211) Portico writes on cached routes, as cache "Portico".
internal static class CacheStatus
{
    public const string Header = "Cache-Status";

    public static string Hit(TimeSpan remaining) => $"Portico; hit; ttl={Seconds(remaining)}";

    public static string Stored(TimeSpan ttl) => $"Portico; fwd=uri-miss; stored; ttl={Seconds(ttl)}";

    /// Forwarded and not stored; <paramref name="detail"/> says why (no-store, private, status, set-cookie…).
    public static string NotStored(string detail) => $"Portico; fwd=uri-miss; detail={detail}";

    /// A miss the cache answered itself without forwarding: the client asked `only-if-cached` (answered 504).
    public const string OnlyIfCachedMiss = "Portico; fwd=uri-miss; detail=only-if-cached";

    /// Not looked up at all: the method is not cacheable.
    public const string Method = "Portico; fwd=method";

    /// Not looked up: the route is authenticated and the request carries no identity to partition by.
    public const string Bypass = "Portico; fwd=bypass";

    /// Not looked up nor stored: the request has a body, which the key does not cover.
    public const string BypassBody = "Portico; fwd=bypass; detail=request-body";

    /// Not looked up nor stored: the request carries a method-override or URL-override header.
    public const string BypassOverride = "Portico; fwd=bypass; detail=override-header";

    /// The `ttl` parameter of a stored header, in seconds; null when absent.
    public static long? StoredTtl(string? value)
    {
        if (value is null) return null;
        var at = value.IndexOf("ttl=", StringComparison.Ordinal);
        if (at < 0) return null;
        var digits = value.AsSpan(at + 4);
        var end = digits.IndexOf(';');
        if (end >= 0) digits = digits[..end];
        return long.TryParse(digits.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) ? ttl : null;
    }

    static long Seconds(TimeSpan t) => Math.Max(0, (long)Math.Ceiling(t.TotalSeconds));
}

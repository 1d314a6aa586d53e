using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Portico.Caching;

/// The response Cache-Control directives a shared cache acts on (RFC 9111 §5.2.2).
internal readonly record struct CacheControlDirectives(bool NoStore, bool Private, bool NoCache, TimeSpan? SharedMaxAge, TimeSpan? MaxAge)
{
    /// What the upstream allows a shared cache to keep; null when it asks for no storage.
    public TimeSpan? Lifetime => NoStore || Private || NoCache ? null : SharedMaxAge ?? MaxAge;

    public bool Forbids => NoStore || Private || NoCache;

    public static CacheControlDirectives Parse(StringValues header)
    {
        if (StringValues.IsNullOrEmpty(header)) return default;
        var noStore = HeaderUtilities.ContainsCacheDirective(header, CacheControlHeaderValue.NoStoreString);
        var isPrivate = HeaderUtilities.ContainsCacheDirective(header, CacheControlHeaderValue.PrivateString);
        var noCache = HeaderUtilities.ContainsCacheDirective(header, CacheControlHeaderValue.NoCacheString);
        TimeSpan? shared = HeaderUtilities.TryParseSeconds(header, CacheControlHeaderValue.SharedMaxAgeString, out var s) ? s : null;
        TimeSpan? max = HeaderUtilities.TryParseSeconds(header, CacheControlHeaderValue.MaxAgeString, out var m) ? m : null;
        return new CacheControlDirectives(noStore, isPrivate, noCache, shared, max);
    }
}

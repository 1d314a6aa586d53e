using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Portico.Caching;

/// A response held by the memory store, kept as it is served: status, headers and body, so a hit copies them out
/// without decoding anything. Age and Cache-Status change once a second; their values are made once per second.
internal sealed class CachedResponse(int statusCode, KeyValuePair<string, StringValues>[] headers, byte[] body, DateTimeOffset created, TimeSpan validFor, string[] tags)
{
    HitHeaders? _hit;

    public int StatusCode => statusCode;
    public KeyValuePair<string, StringValues>[] Headers => headers;
    public byte[] Body => body;
    public DateTimeOffset Created => created;
    public TimeSpan ValidFor => validFor;
    public string[] Tags => tags;

    /// Bytes this entry holds, for the store's size limit.
    public long Size
    {
        get
        {
            long size = body.Length + 200;
            foreach (var (name, values) in headers)
            {
                size += name.Length * 2;
                foreach (var value in values) size += (value?.Length ?? 0) * 2;
            }
            return size;
        }
    }

    public bool IsFreshAt(DateTimeOffset now) => now - created < validFor;

    /// The Age and Cache-Status values of a hit at <paramref name="now"/>.
    public HitHeaders HitAt(DateTimeOffset now)
    {
        var age = Math.Max(0, (long)(now - created).TotalSeconds);
        var hit = _hit;
        if (hit is null || hit.AgeSeconds != age)
        {
            var ttl = Math.Max(0, (long)Math.Ceiling(validFor.TotalSeconds) - age);
            _hit = hit = new HitHeaders(age, HeaderUtilities.FormatNonNegativeInt64(age), CacheStatus.Hit(TimeSpan.FromSeconds(ttl)));
        }
        return hit;
    }

    public bool TryFindHeader(string name, out StringValues values)
    {
        foreach (var header in headers)
        {
            if (header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                values = header.Value;
                return true;
            }
        }
        values = default;
        return false;
    }

    public sealed record HitHeaders(long AgeSeconds, string Age, string CacheStatus);
}

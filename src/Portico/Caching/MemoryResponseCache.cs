using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Caching.Memory;

namespace Portico.Caching;

/// The in-memory response store of one node, bounded by `server.cache.size` (MemoryCache's compaction drops the
/// least recently used entries when an entry does not fit). Keys are <see cref="CacheKey"/>s; a lookup takes the
/// key as characters, so a hit allocates no string. Freshness is judged on the gateway's clock at each lookup.
internal sealed class MemoryResponseCache(long sizeLimit) : IDisposable
{
    readonly MemoryCache _entries = new(new MemoryCacheOptions { SizeLimit = sizeLimit });

    public int Count => _entries.Count;

    public bool TryGet(ReadOnlySpan<char> key, DateTimeOffset now, [NotNullWhen(true)] out CachedResponse? response)
    {
        if (_entries.TryGetValue(key, out response) && response is not null)
        {
            if (response.IsFreshAt(now)) return true;
            _entries.Remove(key.ToString());
        }
        response = null;
        return false;
    }

    public void Set(string key, CachedResponse response)
    {
        using var entry = _entries.CreateEntry(key);
        entry.Value = response;
        entry.Size = response.Size;
        // A backstop for entries nobody asks for again; freshness itself is checked on lookup.
        entry.AbsoluteExpirationRelativeToNow = response.ValidFor;
    }

    /// Drops every entry carrying <paramref name="tag"/>; how many. A purge is rare: it walks the entries rather than
    /// keeping a tag index up to date on every store.
    public int EvictByTag(string tag)
    {
        var evicted = 0;
        foreach (var key in _entries.Keys.ToList())
        {
            if (_entries.TryGetValue(key, out CachedResponse? response) && response is not null && Array.IndexOf(response.Tags, tag) >= 0)
            {
                _entries.Remove(key);
                evicted++;
            }
        }
        return evicted;
    }

    public void Dispose() => _entries.Dispose();
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;

namespace Portico.Proxy;

/// Chooses a target of a weighted split. Without a sticky key the choice is random by weight. With one, the
/// key's value is hashed onto the weight range, so a client stays on one side while weights are unchanged;
/// a value naming a target exactly pins to it (even at weight 0, for testing a canary before it gets traffic).
/// In cookie mode a missing cookie is issued with a random value.
internal sealed class SplitSelector
{
    readonly string[] _names;
    readonly int[] _cumulative;
    readonly int _total;
    readonly StickyDefinition? _sticky;

    public SplitSelector(IReadOnlyList<SplitTarget> targets, StickyDefinition? sticky)
    {
        _names = targets.Select(t => t.Service).ToArray();
        _cumulative = new int[targets.Count];
        var sum = 0;
        for (var i = 0; i < targets.Count; i++) _cumulative[i] = sum += targets[i].Weight;
        _total = sum;
        _sticky = sticky;
    }

    public int Select(HttpContext context)
    {
        if (_sticky is null) return ByBucket(Random.Shared.Next(_total));

        string? key = _sticky.Kind == StickyKind.Header ? context.Request.Headers[_sticky.Name].ToString() : context.Request.Cookies[_sticky.Name];
        if (string.IsNullOrEmpty(key))
        {
            if (_sticky.Kind == StickyKind.Header) return ByBucket(Random.Shared.Next(_total));
            key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
            context.Response.Cookies.Append(_sticky.Name, key, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                Path = "/",
                MaxAge = _sticky.CookieTtl,
            });
        }
        for (var i = 0; i < _names.Length; i++)
        {
            if (string.Equals(_names[i], key, StringComparison.OrdinalIgnoreCase)) return i;
        }
        return ByBucket((int)(StableHash(key) % (uint)_total));
    }

    int ByBucket(int bucket)
    {
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (bucket < _cumulative[i]) return i;
        }
        return _cumulative.Length - 1;
    }

    /// FNV-1a: the same on every node and every run, unlike string.GetHashCode.
    internal static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash;
    }
}

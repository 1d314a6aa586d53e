using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Identity;

namespace Portico.Caching;

/// The key of a cached response: gateway + method + scheme + host + path + query (every parameter sorted by name, or
/// the policy's list in its order) + the policy's `vary` headers + the caller on authenticated routes. Every part is
/// written with its length in front, so no value (a decoded path may hold any character) can run into the next one.
/// Written into a caller's buffer, so a lookup needs no string; the string is made only when an entry is stored.
internal static class CacheKey
{
    /// Writes the key of <paramref name="context"/>'s request under <paramref name="policy"/>.
    public static void Write(ref KeyWriter key, RouteCachePolicy policy, HttpContext context, GatewayIdentity? caller)
    {
        var request = context.Request;
        key.Part(policy.Gateway);
        key.Part(request.Method);
        key.Part(request.Scheme);
        key.PartLowerInvariant(request.Host.Value);
        key.Part(request.PathBase.Value);
        key.Part(request.Path.Value);
        WriteQuery(ref key, policy, request);
        foreach (var name in policy.Definition.Vary) WriteValues(ref key, request.Headers[name]);
        if (caller is null) key.Part("");
        else key.Part(caller.Method, caller.CallerKey);
    }

    static void WriteQuery(ref KeyWriter key, RouteCachePolicy policy, HttpRequest request)
    {
        if (policy.Definition.Query is { } listed)
        {
            foreach (var name in listed)
            {
                // Absent and empty are different requests to the upstream.
                if (request.Query.TryGetValue(name, out var values)) WriteValues(ref key, values);
                else key.Count(-1);
            }
            return;
        }
        if (!request.QueryString.HasValue)
        {
            key.Count(0);
            return;
        }
        var query = request.Query;
        var names = ArrayPool<string>.Shared.Rent(query.Count);
        try
        {
            var count = 0;
            foreach (var name in query.Keys) names[count++] = name;
            // Names are case-sensitive to the upstream, like paths; repeated values keep their order.
            Array.Sort(names, 0, count, StringComparer.Ordinal);
            key.Count(count);
            for (var i = 0; i < count; i++)
            {
                key.Part(names[i]);
                WriteValues(ref key, query[names[i]]);
            }
        }
        finally
        {
            ArrayPool<string>.Shared.Return(names, clearArray: true);
        }
    }

    static void WriteValues(ref KeyWriter key, StringValues values)
    {
        key.Count(values.Count);
        foreach (var value in values) key.Part(value);
    }
}

/// A growable char buffer for <see cref="CacheKey"/>: starts on the caller's stack, rents from the pool beyond it.
internal ref struct KeyWriter(Span<char> initial)
{
    Span<char> _chars = initial;
    char[]? _rented;
    int _length;

    public readonly ReadOnlySpan<char> Written => _chars[.._length];

    public override readonly string ToString() => new(Written);

    /// A value with its length in front: `5:hello`.
    public void Part(string? value) => Part(value.AsSpan());

    public void Part(ReadOnlySpan<char> value)
    {
        Count(value.Length);
        Append(value);
    }

    /// Two values as one part (`a` `:` `b`), without joining them into a string first.
    public void Part(string a, string b)
    {
        Count(a.Length + 1 + b.Length);
        Append(a);
        Append(":");
        Append(b);
    }

    public void PartLowerInvariant(string? value)
    {
        var span = value.AsSpan();
        Count(span.Length);
        Reserve(span.Length);
        span.ToLowerInvariant(_chars[_length..]);
        _length += span.Length;
    }

    public void Count(int count)
    {
        Reserve(11);
        count.TryFormat(_chars[_length..], out var written, default, CultureInfo.InvariantCulture);
        _length += written;
        _chars[_length++] = ':';
    }

    void Append(ReadOnlySpan<char> value)
    {
        Reserve(value.Length);
        value.CopyTo(_chars[_length..]);
        _length += value.Length;
    }

    void Reserve(int more)
    {
        if (_length + more <= _chars.Length) return;
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + more));
        _chars[.._length].CopyTo(bigger);
        if (_rented is not null) ArrayPool<char>.Shared.Return(_rented);
        _chars = _rented = bigger;
    }

    public void Dispose()
    {
        if (_rented is not null) ArrayPool<char>.Shared.Return(_rented);
        _rented = null;
    }
}

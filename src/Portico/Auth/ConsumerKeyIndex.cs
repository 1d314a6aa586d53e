using System.Security.Cryptography;
using Portico.Configuration;

namespace Portico.Auth;

/// Config consumers' keys by digest, compiled once per snapshot. A lookup hashes the presented key, finds the entry
/// by digest and confirms it with a constant-time compare; timing can at most reveal digest prefixes, which say
/// nothing about a key because SHA-256 cannot be inverted.
internal sealed class ConsumerKeyIndex
{
    internal sealed record Entry(ConsumerDefinition Consumer, byte[] Digest, DateTimeOffset? Expires);

    internal enum Outcome { Valid, Unknown, Expired }

    readonly Dictionary<string, Entry> _byDigest = new(StringComparer.Ordinal);
    readonly Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _byDigestSpan;

    public ConsumerKeyIndex(IEnumerable<ConsumerDefinition> consumers)
    {
        _byDigestSpan = _byDigest.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var c in consumers)
        {
            foreach (var k in c.Keys)
            {
                var digest = ApiKeys.DigestOfHash(k.Hash);
                _byDigest[Convert.ToHexStringLower(digest)] = new Entry(c, digest, k.Expires);
            }
        }
    }

    public int Count => _byDigest.Count;

    public Outcome Find(string key, DateTimeOffset now, out ConsumerDefinition? consumer)
    {
        consumer = null;
        // On the stack: a lookup allocates nothing.
        Span<byte> digest = stackalloc byte[32];
        ApiKeys.Digest(key, digest);
        Span<char> hex = stackalloc char[64];
        Convert.TryToHexStringLower(digest, hex, out _);
        if (!_byDigestSpan.TryGetValue(hex, out var entry) || !CryptographicOperations.FixedTimeEquals(digest, entry.Digest))
            return Outcome.Unknown;
        if (entry.Expires is { } expires && now >= expires) return Outcome.Expired;
        consumer = entry.Consumer;
        return Outcome.Valid;
    }
}

using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Portico.Auth;

/// API keys: generation and the stored form. A key is 32 random bytes, base64url, behind the recognizable prefix
/// `pk_`; config and stores keep only `sha256:&lt;hex&gt;` of the key text. A fast hash is right here (unlike for
/// passwords): with 256 bits of entropy a key cannot be guessed, so slowing each guess down buys nothing.
internal static class ApiKeys
{
    public const string Prefix = "pk_";
    public const string HashPrefix = "sha256:";

    /// A new key; show it once, store <see cref="Hash"/> of it.
    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// A key derived from a seed: for demos and tests that must print the same key on every run. Never for real consumers.
    public static string Derive(string seed) => Prefix + Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes("portico-derived-key:" + seed)));

    public static string Hash(string key) => HashPrefix + Convert.ToHexStringLower(Digest(key));

    internal static byte[] Digest(string key)
    {
        var digest = new byte[32];
        Digest(key, digest);
        return digest;
    }

    /// SHA-256 of the key's UTF-8 text into <paramref name="digest"/> (32 bytes); keys up to 512 characters use no heap.
    internal static void Digest(string key, Span<byte> digest)
    {
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        var rented = length > 1536 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> utf8 = rented is not null ? rented : stackalloc byte[1536];
        var written = Encoding.UTF8.GetBytes(key, utf8);
        SHA256.HashData(utf8[..written], digest);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    /// Whether <paramref name="hash"/> is the stored form: `sha256:` and 64 lowercase hex digits.
    public static bool IsHash(string? hash) =>
        hash is { Length: 71 } && hash.StartsWith(HashPrefix, StringComparison.Ordinal) && !hash.AsSpan(HashPrefix.Length).ContainsAnyExcept(LowerHex);

    static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    /// The digest bytes of a validated `sha256:&lt;hex&gt;` hash.
    internal static byte[] DigestOfHash(string hash) => Convert.FromHexString(hash.AsSpan(HashPrefix.Length));

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

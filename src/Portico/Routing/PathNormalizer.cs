using System.Buffers;
using System.Text;
using Portico.Configuration;

namespace Portico.Routing;

/// One path, one meaning: turns a request target's path into the single decoded path that routing, auth, rate
/// limits, the cache key and the upstream all see, or says why it is refused. Percent-escapes are decoded once
/// (an encoded slash is handled by policy), slashes merged, then dot segments resolved, so `//`, `%2F`, `%2E`,
/// `\` and `;` tricks cannot reach a route's service as another route's path.
internal static class PathNormalizer
{
    // Characters a path may hold without needing any work: unreserved, sub-delims except ';', ':', '@' and '/'.
    static readonly SearchValues<char> Plain = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~!$&'()*+,=:@/");

    // Characters Unicode compatibility mapping (NFKC) turns into '/', '\', '.', ';' or '%': a service that folds them would see a delimiter.
    static readonly SearchValues<char> Lookalikes = SearchValues.Create(
        "\u037E\u2024\u2025\u2026\u2100\u2101\u2105\u2106\u2488\u2489\u248A\u248B\u248C\u248D\u248E\u248F\u2490\u2491\u2492\u2493\u2494\u2495\u2496\u2497\u2498\u2499\u249A\u249B"
        + "\u33C2\u33C7\u33D8\uFE52\uFE54\uFE68\uFE6A\uFF05\uFF0E\uFF0F\uFF1B\uFF3C");

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// True when a decoded path (as Kestrel hands it over) has nothing to normalize: no '.', ';', '\', '%',
    /// control, non-ASCII or other unusual character and no doubled slash. One vectorized scan, no allocation.
    public static bool IsPlain(ReadOnlySpan<char> path) =>
        path.IndexOfAnyExcept(Plain) < 0 && path.IndexOf("//", StringComparison.Ordinal) < 0;

    /// Normalizes the path part of a raw request target (still percent-encoded, no query).
    /// <returns>True with the decoded, normalized path (an encoded slash kept as "%2F" when the policy keeps
    /// it); false with <paramref name="problem"/> saying which form was refused.</returns>
    public static bool TryNormalize(ReadOnlySpan<char> rawPath, PathsDefinition policy, out string path, out string? problem)
    {
        path = "/";
        if (!TryDecode(rawPath, policy, out var decoded, out problem)) return false;
        if (decoded.AsSpan().IndexOfAny(Lookalikes) is var at and >= 0)
            return Fail($"a character that Unicode compatibility mapping turns into a delimiter (U+{(int)decoded[at]:X4})", out problem);
        return TryResolve(decoded, policy, out path, out problem);
    }

    static bool Fail(string what, out string? problem)
    {
        problem = what;
        return false;
    }

    static bool TryDecode(ReadOnlySpan<char> raw, PathsDefinition policy, out string decoded, out string? problem)
    {
        decoded = "";
        problem = null;
        var buffer = ArrayPool<byte>.Shared.Rent(raw.Length * 3 + 3);
        try
        {
            var n = 0;
            List<int>? literalPercents = null;
            for (var i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (c == '%')
                {
                    if (i + 2 >= raw.Length || !TryHex(raw[i + 1], raw[i + 2], out var b)) return Fail("a malformed percent-escape", out problem);
                    i += 2;
                    if (b == '/')
                    {
                        if (policy.EscapedSlashes == EscapedSlashAction.Reject) return Fail("an encoded slash (%2F)", out problem);
                        if (policy.EscapedSlashes == EscapedSlashAction.Decode) buffer[n++] = (byte)'/';
                        else n += Encoding.ASCII.GetBytes("%2F", buffer.AsSpan(n));
                    }
                    else if (b == '\\')
                    {
                        if (policy.Backslashes == BackslashAction.Reject) return Fail("an encoded backslash (%5C)", out problem);
                        buffer[n++] = (byte)'/';
                    }
                    else if (b == '%')
                    {
                        (literalPercents ??= []).Add(n);
                        buffer[n++] = b;
                    }
                    else if (b < 0x20 || b == 0x7F) return Fail("an encoded control character", out problem);
                    else buffer[n++] = b;
                }
                else if (c == '\\')
                {
                    if (policy.Backslashes == BackslashAction.Reject) return Fail("a backslash", out problem);
                    buffer[n++] = (byte)'/';
                }
                else if (c < 0x20 || c == 0x7F) return Fail("a control character", out problem);
                else if (c < 0x80) buffer[n++] = (byte)c;
                else
                {
                    // A server that passed UTF-8 bytes through as characters: encode them back.
                    var length = char.IsHighSurrogate(c) && i + 1 < raw.Length ? 2 : 1;
                    if (System.Text.Rune.DecodeFromUtf16(raw.Slice(i, length), out var rune, out var used) != OperationStatus.Done)
                        return Fail("characters that are not valid Unicode", out problem);
                    n += rune.EncodeToUtf8(buffer.AsSpan(n));
                    i += used - 1;
                }
            }
            // A literal '%' before "2F" would read as the encoded slash this path keeps as "%2F" (and be forwarded as one): %252F, %25%32%46.
            for (var k = 0; literalPercents is not null && k < literalPercents.Count; k++)
            {
                var at = literalPercents[k];
                if (at + 2 < n && TryHex((char)buffer[at + 1], (char)buffer[at + 2], out var hidden) && hidden is (byte)'/' or (byte)'\\')
                    return Fail("a double-encoded separator (%252F or %255C)", out problem);
            }
            try
            {
                decoded = StrictUtf8.GetString(buffer, 0, n);
            }
            catch (DecoderFallbackException)
            {
                return Fail("escapes that are not UTF-8", out problem);
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// Merges empty segments (when the policy says so), then resolves "." and ".." (RFC 3986 §5.2.4, never
    /// above the root), checking each remaining segment for path parameters and trailing dots.
    static bool TryResolve(string decoded, PathsDefinition policy, out string path, out string? problem)
    {
        path = "/";
        problem = null;
        var segments = new List<string>();
        var trailingSlash = false;
        var parts = decoded.Split('/');
        // parts[0] is what precedes the leading '/': empty for every origin-form target.
        for (var i = decoded.StartsWith('/') ? 1 : 0; i < parts.Length; i++)
        {
            var segment = parts[i];
            var last = i == parts.Length - 1;
            trailingSlash = false;
            if (segment.Length == 0)
            {
                if (last) trailingSlash = true;
                else if (!policy.MergeSlashes) segments.Add(segment);
            }
            else if (segment == ".")
            {
                trailingSlash = last;
            }
            else if (segment == "..")
            {
                if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                trailingSlash = last;
            }
            else
            {
                if (policy.PathParameters == PathFormAction.Reject && segment.Contains(';'))
                    return Fail("a path parameter (';')", out problem);
                if (policy.TrailingDots == PathFormAction.Reject && segment[^1] == '.')
                    return Fail("a segment ending in '.'", out problem);
                segments.Add(segment);
            }
        }
        if (segments.Count == 0) return true;
        var sb = new StringBuilder(decoded.Length + 1);
        foreach (var s in segments) sb.Append('/').Append(s);
        if (trailingSlash) sb.Append('/');
        path = sb.ToString();
        return true;
    }

    static bool TryHex(char high, char low, out byte value)
    {
        var h = HexValue(high);
        var l = HexValue(low);
        value = (byte)((h << 4) | l);
        return h >= 0 && l >= 0;
    }

    static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };
}

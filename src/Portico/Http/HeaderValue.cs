using System.Buffers;

namespace Portico.Http;

/// The one check every place that writes a header, gRPC metadata entry or AMQP header uses on a value it did not
/// write itself: visible ASCII, space and HTAB only. CR/LF would split the field (or start a second request),
/// NUL and other controls are refused by RFC 9110 §5.5 and cut values short in many parsers, and non-ASCII cannot
/// be sent by HttpClient (it refuses it) nor read back reliably (Latin-1 vs UTF-8), so it is refused too.
internal static class HeaderValue
{
    static readonly SearchValues<char> Allowed = SearchValues.Create(
        "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    // RFC 9110 §5.6.2 tchar.
    static readonly SearchValues<char> TokenChars = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// True when <paramref name="value"/> can be written as a field value as is.
    public static bool IsSafe(ReadOnlySpan<char> value) => value.IndexOfAnyExcept(Allowed) < 0;

    /// True when <paramref name="name"/> is a field name: a non-empty RFC 9110 token.
    public static bool IsToken(ReadOnlySpan<char> name) => name.Length > 0 && name.IndexOfAnyExcept(TokenChars) < 0;

    /// What makes an unsafe value unsafe, for logs and problem details (never the value itself); null when safe.
    public static string? Flaw(ReadOnlySpan<char> value)
    {
        var at = value.IndexOfAnyExcept(Allowed);
        if (at < 0) return null;
        return value[at] switch
        {
            '\r' or '\n' => "a line break",
            '\0' => "a NUL character",
            < ' ' or '\x7f' => "a control character",
            _ => "a non-ASCII character",
        };
    }
}

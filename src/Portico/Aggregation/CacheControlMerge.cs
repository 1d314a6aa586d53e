using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Portico.Aggregation;

/// The Cache-Control of an aggregate: the most restrictive of its parts, so no cache keeps the whole longer
/// than any part allows.
internal static class CacheControlMerge
{
    /// <paramref name="parts"/> holds each call's Cache-Control (null when it sent none). Null when no call sent
    /// one and nothing is missing (the aggregate says nothing, like its parts); no-store when the answer is partial
    /// or some parts say nothing while others do (an unknown lifetime cannot be combined).
    public static string? Combine(IReadOnlyList<string?> parts, bool partial)
    {
        if (partial) return "no-store";
        if (parts.All(p => p is null)) return null;
        var isPrivate = false;
        var allPublic = true;
        var noCache = false;
        TimeSpan? maxAge = null;
        foreach (var text in parts)
        {
            if (text is null || !CacheControlHeaderValue.TryParse(text, out var value) || value.NoStore) return "no-store";
            isPrivate |= value.Private;
            allPublic &= value.Public;
            if (value.NoCache || value.MaxAge is null) noCache = true;
            else if (maxAge is null || value.MaxAge < maxAge) maxAge = value.MaxAge;
        }
        var scope = isPrivate ? "private, " : allPublic ? "public, " : "";
        return noCache ? $"{scope}no-cache" : $"{scope}max-age={((long)maxAge!.Value.TotalSeconds).ToString(CultureInfo.InvariantCulture)}";
    }
}

namespace Portico.Configuration;

/// "did you mean" hints by edit distance.
internal static class Suggest
{
    public static string? Closest(string value, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(value.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        var allowed = Math.Max(2, value.Length / 3);
        return best is not null && bestDistance <= allowed ? best : null;
    }

    public static string? DidYouMean(string value, IEnumerable<string> candidates)
    {
        var list = candidates.ToList();
        var closest = Closest(value, list);
        if (closest is not null) return $"did you mean '{closest}'?";
        return list.Count == 0 ? null : $"expected one of: {string.Join(", ", list.Order(StringComparer.Ordinal))}";
    }

    internal static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}

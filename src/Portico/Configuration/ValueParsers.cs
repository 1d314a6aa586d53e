using System.Globalization;

namespace Portico.Configuration;

/// Durations ("250ms", "5s", "1m30s", "2h", "1d") and sizes ("512", "64KiB", "10MB").
internal static class ValueParsers
{
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0) return false;
        var i = 0;
        var any = false;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i) return false;
            if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
            var unit = s[unitStart..i];
            double ms = unit switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => double.NaN,
            };
            if (double.IsNaN(ms)) return false;
            var total = value.TotalMilliseconds + number * ms;
            // Far beyond any sensible setting, and TimeSpan would overflow.
            if (total > TimeSpan.FromDays(3650).TotalMilliseconds) return false;
            value = TimeSpan.FromMilliseconds(total);
            any = true;
        }
        return any;
    }

    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim();
        var i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0 || !long.TryParse(s.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out var number)) return false;
        long factor = s[i..].Trim() switch
        {
            "" or "B" => 1,
            "KB" => 1000,
            "KiB" => 1024,
            "MB" => 1000 * 1000,
            "MiB" => 1024 * 1024,
            "GB" => 1000L * 1000 * 1000,
            "GiB" => 1024L * 1024 * 1024,
            _ => -1,
        };
        if (factor < 0 || number > long.MaxValue / factor) return false;
        bytes = number * factor;
        return true;
    }
}

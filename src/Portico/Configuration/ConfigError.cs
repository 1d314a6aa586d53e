namespace Portico.Configuration;

/// <summary>One problem in a config, with where it is and what to do about it.</summary>
/// <param name="Path">The key path, e.g. <c>routes[2].match.path</c>; empty for the config as a whole.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Location">Where the key was written, when known.</param>
/// <param name="Hint">What to write instead, when there is a likely fix.</param>
public sealed record ConfigError(string Path, string Message, ConfigLocation? Location = null, string? Hint = null)
{
    /// <summary>
    /// <c>file:line:column path: message — hint</c>, the parts that are known, on one line: control characters a
    /// value carried into the message (CR, LF, NUL, ESC…) are written as <c>\uXXXX</c>, so an error printed or
    /// logged can never forge a line of its own.
    /// </summary>
    public override string ToString()
    {
        var where = Location is { } l ? $"{l} " : "";
        var path = string.IsNullOrEmpty(Path) ? "" : $"{Path}: ";
        var hint = Hint is null ? "" : $" — {Hint}";
        return OneLine($"{where}{path}{Message}{hint}");
    }

    static string OneLine(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var sb = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>Thrown when a config cannot be used; carries every error found, not just the first.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception($"Invalid configuration ({errors.Count} error{(errors.Count == 1 ? "" : "s")}):" + Environment.NewLine
        + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}

/// <summary>A loaded config, or every error found in it.</summary>
public sealed class ConfigLoadResult
{
    internal ConfigLoadResult(PorticoConfig? Config, IReadOnlyList<ConfigError> Errors, ConfigSourceMap? Sources)
    {
        this.Config = Config;
        this.Errors = Errors;
        this.Sources = Sources;
    }

    /// <summary>The validated config; null when it could not be read at all.</summary>
    public PorticoConfig? Config { get; }

    /// <summary>Every problem found, each with its key path, file position and a hint; empty when the config is good.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    /// <summary>Where each key was written (for tools that point into the file).</summary>
    internal ConfigSourceMap? Sources { get; }

    /// <summary>True when the config loaded with no errors.</summary>
    public bool Success => Config is not null && Errors.Count == 0;
}

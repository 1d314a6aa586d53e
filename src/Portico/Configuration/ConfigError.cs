namespace Portico.Configuration;

/// One problem in a config, with where it is and what to do about it.
public sealed record ConfigError(string Path, string Message, ConfigLocation? Location = null, string? Hint = null)
{
    public override string ToString()
    {
        var where = Location is { } l ? $"{l} " : "";
        var path = string.IsNullOrEmpty(Path) ? "" : $"{Path}: ";
        var hint = Hint is null ? "" : $" — {Hint}";
        return $"{where}{path}{Message}{hint}";
    }
}

/// Thrown when a config cannot be used; carries every error found, not just the first.
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception($"Invalid configuration ({errors.Count} error{(errors.Count == 1 ? "" : "s")}):" + Environment.NewLine
        + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}

/// A loaded config, or every error found in it, with where each key was written.
public sealed record ConfigLoadResult(PorticoConfig? Config, IReadOnlyList<ConfigError> Errors, ConfigSourceMap? Sources)
{
    public bool Success => Config is not null && Errors.Count == 0;
}

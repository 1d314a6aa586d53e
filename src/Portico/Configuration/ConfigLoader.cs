namespace Portico.Configuration;

/// File or text → validated <see cref="PorticoConfig"/>, or every error found. JSON is read by the YAML parser
/// (YAML 1.2 is a superset of JSON), so both formats share one model and one set of locations.
public static class ConfigLoader
{
    public sealed record Result(PorticoConfig? Config, IReadOnlyList<ConfigError> Errors, ConfigSourceMap? Sources)
    {
        public bool Success => Config is not null && Errors.Count == 0;
    }

    public static Result LoadFile(string path, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Result(null, [new ConfigError("", $"cannot read the config file: {ex.Message}", new ConfigLocation(path, 0, 0), "check the path given with -c/--config")], null);
        }
        return Load(text, path, Path.GetDirectoryName(Path.GetFullPath(path)), environment, overrides);
    }

    public static Result LoadText(string text, string source, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null) =>
        Load(text, source, null, environment, overrides);

    /// <paramref name="directory"/>: where relative file paths (TLS certificates) are looked up; null skips those checks.
    static Result Load(string text, string source, string? directory, Func<string, string?>? environment, IEnumerable<KeyValuePair<string, string>>? overrides)
    {
        var errors = new List<ConfigError>();
        var root = ConfigDocumentParser.Parse(text, source, errors);
        if (errors.Count > 0) return new Result(null, errors, null);
        // `x-…` keys only hold YAML anchors, already copied where they are used; checking them too would report twice.
        (root as ConfigMapping)?.Entries.RemoveAll(e => e.Key.Value!.StartsWith("x-", StringComparison.Ordinal));
        root = EnvironmentOverrides.Apply(root, overrides ?? EnvironmentOverrides.FromProcess(), source, errors);
        var substitution = new List<ConfigError>();
        EnvironmentSubstitution.Apply(root, environment ?? Environment.GetEnvironmentVariable, substitution);
        errors.AddRange(substitution);
        var config = ConfigBinder.Bind(root, errors);
        var sources = new ConfigSourceMap(root, source);
        // Without a file there is no folder to find .proto files in: their routes are checked, their methods not.
        config = GrpcSchemas.Load(config, sources, directory, errors);
        ConfigValidator.Validate(config, sources, errors);
        if (directory is not null) CheckFiles(config, sources, directory, errors);
        GrpcSchemas.CheckRoutes(config, sources, errors);
        // A value left as "${MISSING}" was reported once; its unsubstituted text is not a second problem.
        var unresolved = substitution.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        if (unresolved.Count > 0) errors.RemoveAll(e => unresolved.Contains(e.Path) && !substitution.Contains(e));
        var ordered = errors.OrderBy(e => e.Location?.Line ?? int.MaxValue).ThenBy(e => e.Location?.Column ?? 0).ToList();
        return new Result(ordered.Count == 0 ? config : null, ordered, sources);
    }

    static void CheckFiles(PorticoConfig config, ConfigSourceMap sources, string directory, List<ConfigError> errors)
    {
        if (config.Auth?.Jwt?.KeyFile is { } jwtKey && !Auth.JwtKeyFile.TryLoad(Path.Combine(directory, jwtKey), out _, out var keyProblem))
            errors.Add(new ConfigError("auth.jwt.key", keyProblem!, sources.Find("auth.jwt.key"), $"a PEM public key (RSA or EC), path relative to the config file's folder ({directory})"));
        foreach (var g in config.Gateways)
        {
            if (g.Tls is not { } tls) continue;
            foreach (var (key, file) in new[] { ("certificate", tls.Certificate), ("key", tls.Key) })
            {
                if (file is null || File.Exists(Path.Combine(directory, file))) continue;
                var path = $"gateways.{g.Name}.tls.{key}";
                errors.Add(new ConfigError(path, $"file '{file}' not found", sources.Find(path), $"paths are relative to the config file's folder ({directory})"));
            }
        }
    }
}

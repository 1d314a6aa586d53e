namespace Portico.Configuration;

/// File or text → validated <see cref="PorticoConfig"/>, or every error found. JSON is read by the YAML parser
/// (YAML 1.2 is a superset of JSON), so both formats share one model and one set of locations. The route kinds
/// given bind, check and compile their sections of routes and their services' protocols.
internal static class ConfigLoading
{
    public static ConfigLoadResult LoadFile(string path, RouteKindSet kinds, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null,
        IReadOnlyCollection<string>? policies = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ConfigLoadResult(null, [new ConfigError("", $"cannot read the config file: {ex.Message}", new ConfigLocation(path, 0, 0), "check the path given with -c/--config")], null);
        }
        return Load(text, path, Path.GetDirectoryName(Path.GetFullPath(path)), kinds, environment, overrides, policies);
    }

    public static ConfigLoadResult LoadText(string text, string source, RouteKindSet kinds, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null,
        IReadOnlyCollection<string>? policies = null) =>
        Load(text, source, null, kinds, environment, overrides, policies);

    /// <paramref name="directory"/>: where relative file paths (TLS certificates) are looked up; null skips those checks.
    static ConfigLoadResult Load(string text, string source, string? directory, RouteKindSet kinds, Func<string, string?>? environment, IEnumerable<KeyValuePair<string, string>>? overrides,
        IReadOnlyCollection<string>? policies)
    {
        var errors = new List<ConfigError>();
        var root = ConfigDocumentParser.Parse(text, source, errors);
        if (errors.Count > 0) return new ConfigLoadResult(null, errors, null);
        // `x-…` keys only hold YAML anchors, already copied where they are used; checking them too would report twice.
        (root as ConfigMapping)?.Entries.RemoveAll(e => e.Key.Value!.StartsWith("x-", StringComparison.Ordinal));
        root = EnvironmentOverrides.Apply(root, overrides ?? EnvironmentOverrides.FromProcess(), source, errors);
        var substitution = new List<ConfigError>();
        EnvironmentSubstitution.Apply(root, environment ?? Environment.GetEnvironmentVariable, substitution);
        errors.AddRange(substitution);
        return Load(root, source, directory, kinds, policies, errors, substitution);
    }

    /// An app's configuration section (appsettings.json, environment variables, any provider) as the config:
    /// the app's configuration system already layered environment and overrides, so `${VAR}` and `PORTICO__`
    /// are not applied again. Errors name the key path (there is no line to point at).
    /// <paramref name="directory"/>: where relative files (.proto, keys, certificates) are.
    public static ConfigLoadResult LoadConfiguration(Microsoft.Extensions.Configuration.IConfiguration section, string source, string? directory, RouteKindSet kinds,
        IReadOnlyCollection<string>? policies = null) =>
        LoadConfiguration(ConfigurationDocument.From(section, source), source, directory, kinds, policies);

    /// A section as read earlier (<see cref="ConfigurationDocument.From"/>). One without any key (a provider whose
    /// file is gone or could not be parsed holds nothing) is refused rather than read as an empty config.
    public static ConfigLoadResult LoadConfiguration(ConfigNode document, string source, string? directory, RouteKindSet kinds, IReadOnlyCollection<string>? policies = null)
    {
        if (document is ConfigScalar)
            return new ConfigLoadResult(null, [new ConfigError("", $"the {source} is empty or missing", new ConfigLocation(source, 0, 0), "check that the provider holding it (e.g. appsettings.json) loads and has the section's keys")], null);
        return Load(document, source, directory, kinds, policies, [], []);
    }

    static ConfigLoadResult Load(ConfigNode root, string source, string? directory, RouteKindSet kinds, IReadOnlyCollection<string>? policies, List<ConfigError> errors,
        List<ConfigError> substitution)
    {
        var config = ConfigBinder.Bind(root, errors, kinds);
        var sources = new ConfigSourceMap(root, source);
        // Kinds load what their sections refer to (.proto files: without a file there is no folder to find them in).
        foreach (var kind in kinds.Keyed.Prepend(kinds.Default)) config = kind.Prepare(config, sources, directory, errors);
        config = ConfigValidator.Validate(config, sources, errors, kinds, policies);
        if (directory is not null) CheckFiles(config, sources, directory, errors);
        // A value left as "${MISSING}" was reported once; its unsubstituted text is not a second problem.
        var unresolved = substitution.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        if (unresolved.Count > 0) errors.RemoveAll(e => unresolved.Contains(e.Path) && !substitution.Contains(e));
        // One mistake seen from two places (a route and the routes made from it) is reported once.
        var ordered = errors.DistinctBy(e => (e.Path, e.Message)).OrderBy(e => e.Location?.Line ?? int.MaxValue).ThenBy(e => e.Location?.Column ?? 0).ToList();
        return new ConfigLoadResult(ordered.Count == 0 ? config : null, ordered, sources);
    }

    static void CheckFiles(PorticoConfig config, ConfigSourceMap sources, string directory, List<ConfigError> errors)
    {
        if (config.Auth?.Jwt?.KeyFile is { } jwtKey && !Configuration.JwtKeyFile.TryLoad(Path.Combine(directory, jwtKey), out _, out var keyProblem))
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

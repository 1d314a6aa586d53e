namespace Portico.Configuration;

/// Where a config value came from: file, 1-based line and column (0 when unknown, e.g. an env override).
public readonly record struct ConfigLocation(string Source, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}" : Source;
}

/// A parsed config document: YAML and JSON both land here, with locations, before binding to the model.
public abstract class ConfigNode(string path, ConfigLocation location)
{
    public string Path { get; internal set; } = path;
    public ConfigLocation Location { get; } = location;
    public abstract string Kind { get; }
}

public sealed class ConfigScalar(string path, ConfigLocation location, string? value, bool quoted) : ConfigNode(path, location)
{
    /// Null for YAML null (`~`, `null`, empty) unless quoted.
    public string? Value { get; set; } = value;
    public bool Quoted { get; } = quoted;
    public override string Kind => "a value";
}

public sealed class ConfigSequence(string path, ConfigLocation location) : ConfigNode(path, location)
{
    public List<ConfigNode> Items { get; } = [];
    public override string Kind => "a list";
}

public sealed class ConfigMapping(string path, ConfigLocation location) : ConfigNode(path, location)
{
    public List<KeyValuePair<ConfigScalar, ConfigNode>> Entries { get; } = [];
    public override string Kind => "a mapping";

    public ConfigNode? Get(string key)
    {
        foreach (var (k, v) in Entries)
        {
            if (string.Equals(k.Value, key, StringComparison.Ordinal)) return v;
        }
        return null;
    }
}

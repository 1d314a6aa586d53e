namespace Portico.Configuration;

/// <summary>Where a config value came from: file, 1-based line and column (0 when unknown, e.g. an env override).</summary>
/// <param name="Source">The file (or the name given to config text, or the environment variable).</param>
/// <param name="Line">1-based line; 0 when unknown.</param>
/// <param name="Column">1-based column; 0 when unknown.</param>
public readonly record struct ConfigLocation(string Source, int Line, int Column)
{
    /// <summary><c>source:line:column</c>, or the source alone when the position is unknown.</summary>
    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}" : Source;
}

/// <summary>A parsed config document: YAML and JSON both land here, with locations, before binding to the model.</summary>
internal abstract class ConfigNode(string path, ConfigLocation location)
{
    public string Path { get; internal set; } = path;
    public ConfigLocation Location { get; } = location;
    public abstract string Kind { get; }
}

internal sealed class ConfigScalar(string path, ConfigLocation location, string? value, bool quoted) : ConfigNode(path, location)
{
    /// <summary>Null for YAML null (`~`, `null`, empty) unless quoted.</summary>
    public string? Value { get; set; } = value;
    public bool Quoted { get; } = quoted;
    public override string Kind => "a value";
}

internal sealed class ConfigSequence(string path, ConfigLocation location) : ConfigNode(path, location)
{
    public List<ConfigNode> Items { get; } = [];
    public override string Kind => "a list";
}

internal sealed class ConfigMapping(string path, ConfigLocation location) : ConfigNode(path, location)
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

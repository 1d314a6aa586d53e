using System.Globalization;

namespace Portico.Configuration;

/// Reads one mapping's keys with typed accessors; every accessor records the key as known, and
/// <see cref="Done"/> reports the keys nobody asked for as unknown (with a did-you-mean hint).
internal sealed class MappingReader
{
    readonly ConfigMapping? _map;
    readonly List<ConfigError> _errors;
    readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public MappingReader(ConfigNode? node, List<ConfigError> errors, string what)
    {
        _errors = errors;
        if (node is ConfigMapping map) _map = map;
        else if (node is not null && node is not ConfigScalar { Value: null })
            errors.Add(new ConfigError(node.Path, $"expected a mapping ({what}), found {node.Kind}", node.Location));
        Path = node?.Path ?? "";
    }

    public string Path { get; }
    public bool Exists => _map is not null;
    public ConfigMapping? Mapping => _map;
    public List<ConfigError> Errors => _errors;

    public ConfigNode? Node(string key)
    {
        _known.Add(key);
        var node = _map?.Get(key);
        return node is ConfigScalar { Value: null } ? null : node;
    }

    public bool Has(string key) => Node(key) is not null;

    public string? String(string key, bool required = false, string? hint = null)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required) Missing(key, hint);
            return null;
        }
        if (node is ConfigScalar s) return s.Value;
        Error(node, $"expected a value, found {node.Kind}", hint);
        return null;
    }

    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is ConfigScalar { Value: { } v } && int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
        {
            if (i < min || i > max)
            {
                Error(node, $"{i} is out of range", $"use a whole number from {min} to {(max == int.MaxValue ? "any" : max)}");
                return null;
            }
            return i;
        }
        Error(node, $"'{Text(node)}' is not a whole number", $"use a whole number from {min} to {(max == int.MaxValue ? "any" : max)}");
        return null;
    }

    public double? Double(string key, double min, double max)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is ConfigScalar { Value: { } v } && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min && d <= max)
            return d;
        Error(node, $"'{Text(node)}' is not a number from {min} to {max}");
        return null;
    }

    public bool? Bool(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is ConfigScalar { Value: { } v })
        {
            if (v is "true" or "True" or "yes" or "on") return true;
            if (v is "false" or "False" or "no" or "off") return false;
        }
        Error(node, $"'{Text(node)}' is not true or false");
        return null;
    }

    public TimeSpan? Duration(string key, bool allowZero = false)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is ConfigScalar { Value: { } v } && ValueParsers.TryParseDuration(v, out var d) && (allowZero || d > TimeSpan.Zero))
            return d;
        var text = Text(node);
        var hint = text.Length > 0 && text.All(char.IsAsciiDigit) ? $"add a unit, e.g. '{text}s' or '{text}ms'" : "use a number with a unit: ms, s, m, h or d (e.g. 250ms, 5s, 1m30s)";
        Error(node, $"'{text}' is not a valid{(allowZero ? "" : " positive")} duration", hint);
        return null;
    }

    public long? Size(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is ConfigScalar { Value: { } v } && ValueParsers.TryParseSize(v, out var b)) return b;
        Error(node, $"'{Text(node)}' is not a valid size", "use bytes or a unit: 512, 64KiB, 10MB, 1GiB");
        return null;
    }

    /// A list of strings; a single value is accepted as a one-item list.
    public IReadOnlyList<string> StringList(string key) => StringList(Node(key));

    public IReadOnlyList<string> StringList(ConfigNode? node)
    {
        switch (node)
        {
            case null: return [];
            case ConfigScalar { Value: { } v }: return [v];
            case ConfigSequence seq:
                var list = new List<string>(seq.Items.Count);
                foreach (var item in seq.Items)
                {
                    if (item is ConfigScalar { Value: { } s }) list.Add(s);
                    else Error(item, $"expected a value, found {item.Kind}");
                }
                return list;
            default:
                Error(node, $"expected a value or a list of values, found {node.Kind}");
                return [];
        }
    }

    public TEnum? Enum<TEnum>(string key, IReadOnlyDictionary<string, TEnum> names) where TEnum : struct
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is ConfigScalar { Value: { } v } && names.TryGetValue(v, out var e)) return e;
        Error(node, $"'{Text(node)}' is not a valid {key}", Suggest.DidYouMean(Text(node), names.Keys));
        return null;
    }

    public string? Choice(string key, IReadOnlyDictionary<string, string> names)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is ConfigScalar { Value: { } v } && names.TryGetValue(v, out var e)) return e;
        Error(node, $"'{Text(node)}' is not a valid {key}", Suggest.DidYouMean(Text(node), names.Keys));
        return null;
    }

    /// The entries of a mapping-valued key, in document order.
    public IReadOnlyList<KeyValuePair<ConfigScalar, ConfigNode>> Entries(string key)
    {
        var node = Node(key);
        if (node is null) return [];
        if (node is ConfigMapping m) return m.Entries;
        Error(node, $"expected a mapping, found {node.Kind}");
        return [];
    }

    public void Done()
    {
        if (_map is null) return;
        foreach (var (key, value) in _map.Entries)
        {
            if (_known.Contains(key.Value!)) continue;
            _errors.Add(new ConfigError(value.Path, $"unknown key '{key.Value}'", key.Location,
                Suggest.DidYouMean(key.Value!, _known) ?? "remove it"));
        }
    }

    public void Missing(string key, string? hint = null) =>
        _errors.Add(new ConfigError(ConfigDocumentParser.Join(Path, key), $"'{key}' is required", _map?.Location, hint));

    public void Error(ConfigNode node, string message, string? hint = null) =>
        _errors.Add(new ConfigError(node.Path, message, node.Location, hint));

    static string Text(ConfigNode node) => node is ConfigScalar { Value: { } v } ? v : node.Kind;
}

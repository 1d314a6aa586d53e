using System.Collections;

namespace Portico.Configuration;

/// Applies `PORTICO__a__b__0__c=value` environment variables onto the document: keys match case-insensitively,
/// list items by index; missing mappings are created. Overrides set scalar values only.
internal static class EnvironmentOverrides
{
    public const string Prefix = "PORTICO__";

    public static IEnumerable<KeyValuePair<string, string>> FromProcess()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && entry.Value is string value)
                yield return new(key, value);
        }
    }

    public static ConfigNode Apply(ConfigNode? root, IEnumerable<KeyValuePair<string, string>> variables, string source, List<ConfigError> errors)
    {
        root ??= new ConfigMapping("", new ConfigLocation(source, 0, 0));
        foreach (var (name, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            var segments = name[Prefix.Length..].Split("__", StringSplitOptions.None);
            var where = new ConfigLocation($"environment variable {name}", 0, 0);
            if (segments.Any(s => s.Length == 0))
            {
                errors.Add(new ConfigError("", "empty path segment", where, "separate keys with a double underscore: PORTICO__services__users__timeout"));
                continue;
            }
            Set(root, segments, 0, value, where, errors);
        }
        return root;
    }

    static void Set(ConfigNode node, string[] segments, int index, string value, ConfigLocation where, List<ConfigError> errors)
    {
        var segment = segments[index];
        var last = index == segments.Length - 1;
        switch (node)
        {
            case ConfigMapping map:
                {
                    var pos = map.Entries.FindIndex(e => string.Equals(e.Key.Value, segment, StringComparison.OrdinalIgnoreCase));
                    var key = pos >= 0 ? map.Entries[pos].Key : new ConfigScalar(map.Path, where, segment, false);
                    var childPath = ConfigDocumentParser.Join(map.Path, key.Value!);
                    if (last)
                    {
                        var scalar = new ConfigScalar(childPath, where, value, true);
                        if (pos >= 0) map.Entries[pos] = new(key, scalar);
                        else map.Entries.Add(new(key, scalar));
                        return;
                    }
                    ConfigNode child;
                    if (pos >= 0) child = map.Entries[pos].Value;
                    else
                    {
                        child = int.TryParse(segments[index + 1], out _) ? new ConfigSequence(childPath, where) : new ConfigMapping(childPath, where);
                        map.Entries.Add(new(key, child));
                    }
                    Set(child, segments, index + 1, value, where, errors);
                    return;
                }
            case ConfigSequence seq when int.TryParse(segment, out var i) && i >= 0 && i <= seq.Items.Count:
                {
                    var childPath = $"{seq.Path}[{i}]";
                    if (last)
                    {
                        var scalar = new ConfigScalar(childPath, where, value, true);
                        if (i < seq.Items.Count) seq.Items[i] = scalar;
                        else seq.Items.Add(scalar);
                        return;
                    }
                    if (i == seq.Items.Count) seq.Items.Add(new ConfigMapping(childPath, where));
                    Set(seq.Items[i], segments, index + 1, value, where, errors);
                    return;
                }
            case ConfigSequence seq:
                errors.Add(new ConfigError(seq.Path, $"'{segment}' is not an index of this list (0..{seq.Items.Count})", where, "use a list index, e.g. PORTICO__routes__0__service"));
                return;
            default:
                errors.Add(new ConfigError(node.Path, $"cannot set '{segment}' inside {node.Kind}", where, "the override path goes through a value that is not a mapping or list"));
                return;
        }
    }
}

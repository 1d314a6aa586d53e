namespace Portico.Configuration;

/// Config path → where it was written, so errors found after binding still point into the file.
internal sealed class ConfigSourceMap
{
    readonly Dictionary<string, ConfigLocation> _locations = new(StringComparer.Ordinal);
    readonly string _source;

    public ConfigSourceMap(ConfigNode? root, string source)
    {
        _source = source;
        if (root is not null) Walk(root);
    }

    void Walk(ConfigNode node)
    {
        _locations.TryAdd(node.Path, node.Location);
        switch (node)
        {
            case ConfigMapping m:
                foreach (var (k, v) in m.Entries)
                {
                    _locations.TryAdd(v.Path, k.Location);
                    Walk(v);
                }
                break;
            case ConfigSequence s:
                foreach (var item in s.Items) Walk(item);
                break;
        }
    }

    public bool Has(string path) => _locations.ContainsKey(path);

    /// The location of the path, or of its nearest written parent.
    public ConfigLocation Find(string path)
    {
        while (true)
        {
            if (_locations.TryGetValue(path, out var l)) return l;
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0) return _locations.TryGetValue("", out var root) ? root : new ConfigLocation(_source, 0, 0);
            path = path[..cut];
        }
    }
}

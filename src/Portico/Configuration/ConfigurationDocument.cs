using Microsoft.Extensions.Configuration;

namespace Portico.Configuration;

/// An <see cref="IConfiguration"/> section as a config document, for the same binding and checks as a file.
/// IConfiguration holds strings under keys; a section whose keys are 0, 1, 2, … is a list. It cannot hold an
/// empty list or tell null from "", so `auth: []` is written as a route's `anonymous: true` there.
internal static class ConfigurationDocument
{
    public static ConfigNode From(IConfiguration section, string source) => Node(section.GetChildren().ToList(), null, "", source);

    static ConfigNode Node(List<IConfigurationSection> children, string? value, string path, string source)
    {
        var at = new ConfigLocation(source, 0, 0);
        if (children.Count == 0) return new ConfigScalar(path, at, string.IsNullOrEmpty(value) ? null : value, quoted: false);
        var indexed = children.Select(c => (Section: c, Index: int.TryParse(c.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) ? i : -1)).ToList();
        if (indexed.All(c => c.Index >= 0) && indexed.Select(c => c.Index).Order().SequenceEqual(Enumerable.Range(0, indexed.Count)))
        {
            var list = new ConfigSequence(path, at);
            foreach (var (child, index) in indexed.OrderBy(c => c.Index))
                list.Items.Add(Node(child.GetChildren().ToList(), child.Value, $"{path}[{index}]", source));
            return list;
        }
        var map = new ConfigMapping(path, at);
        foreach (var child in children)
        {
            var childPath = path.Length == 0 ? child.Key : $"{path}.{child.Key}";
            map.Entries.Add(new(new ConfigScalar(childPath, at, child.Key, quoted: false), Node(child.GetChildren().ToList(), child.Value, childPath, source)));
        }
        return map;
    }
}

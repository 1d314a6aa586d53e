using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Portico.Configuration;

/// Reads YAML (and JSON, which YAML parses as flow style) into a <see cref="ConfigNode"/> tree with locations.
/// Duplicate keys and unresolved aliases are reported as errors instead of thrown.
internal static class ConfigDocumentParser
{
    public static ConfigNode? Parse(string text, string source, List<ConfigError> errors)
    {
        var anchors = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _)) return null;
            parser.Consume<DocumentStart>();
            if (parser.TryConsume<DocumentEnd>(out _)) return null;
            var root = ReadNode(parser, "", source, anchors, errors);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                errors.Add(new ConfigError("", "the file holds more than one YAML document", Where(source, parser.Current?.Start),
                    "keep the whole configuration in one document (remove the extra '---')"));
            }
            return root;
        }
        catch (YamlException ex)
        {
            var line = ex.Start.Line > 0 ? text.Split('\n').ElementAtOrDefault((int)ex.Start.Line - 1) ?? "" : "";
            var hint = line.Contains("/{", StringComparison.Ordinal) && line.Contains("{ ", StringComparison.Ordinal)
                ? "inside { … } a path template must be quoted: path: \"/api/users/{id}\""
                : "check indentation, quotes and brackets around this place";
            errors.Add(new ConfigError("", $"not valid YAML/JSON: {Clean(ex.Message)}", Where(source, ex.Start), hint));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (not a YamlException) when the text ends inside an open '[' or '{'.
            errors.Add(new ConfigError("", "not valid YAML/JSON: the text ends inside an unclosed '[', '{' or quote",
                Where(source, parser.Current?.Start), "close the bracket or quote that starts near this place"));
            return null;
        }
        catch (ArgumentException ex)
        {
            // YamlDotNet throws this (not a YamlException) for a tag that is not a valid URI, such as `!!!!!`.
            errors.Add(new ConfigError("", $"not valid YAML/JSON: {ex.Message.Split(" (Parameter", 2)[0]}",
                Where(source, parser.Current?.Start), "remove the '!' tag: the configuration uses no YAML tags"));
            return null;
        }
    }

    static string Clean(string message)
    {
        var idx = message.IndexOf("): ", StringComparison.Ordinal);
        return idx >= 0 && message.StartsWith('(') ? message[(idx + 3)..] : message;
    }

    static ConfigLocation Where(string source, Mark? mark) => mark is { } m ? new ConfigLocation(source, (int)m.Line, (int)m.Column) : new ConfigLocation(source, 0, 0);

    static ConfigNode ReadNode(IParser parser, string path, string source, Dictionary<string, ConfigNode> anchors, List<ConfigError> errors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            // A copy, not the anchored node itself: each use gets its own path, substitution and overrides.
            if (anchors.TryGetValue(alias.Value.Value, out var target)) return Copy(target, path);
            errors.Add(new ConfigError(path, $"unknown alias '*{alias.Value.Value}'", Where(source, alias.Start), "define the anchor with '&name' before using it"));
            return new ConfigScalar(path, Where(source, alias.Start), null, false);
        }
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            var isNull = !scalar.IsQuotedImplicit && scalar.Style is ScalarStyle.Plain
                && (scalar.Value.Length == 0 || scalar.Value is "~" or "null" or "Null" or "NULL");
            var node = new ConfigScalar(path, Where(source, scalar.Start), isNull ? null : scalar.Value, scalar.Style is not ScalarStyle.Plain);
            Remember(scalar.Anchor, node, anchors);
            return node;
        }
        if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            var seq = new ConfigSequence(path, Where(source, seqStart.Start));
            Remember(seqStart.Anchor, seq, anchors);
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                seq.Items.Add(ReadNode(parser, $"{path}[{seq.Items.Count}]", source, anchors, errors));
            }
            return seq;
        }
        var mapStart = parser.Consume<MappingStart>();
        var map = new ConfigMapping(path, Where(source, mapStart.Start));
        Remember(mapStart.Anchor, map, anchors);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var merged = new List<ConfigMapping>();
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode(parser, path, source, anchors, errors);
            if (keyNode is not ConfigScalar { Value: not null } key)
            {
                errors.Add(new ConfigError(path, "a mapping key must be a plain name", keyNode.Location));
                ReadNode(parser, path, source, anchors, errors);
                continue;
            }
            if (key is { Value: "<<", Quoted: false })
            {
                var mergeSource = ReadNode(parser, path, source, anchors, errors);
                CollectMerge(mergeSource, merged, errors);
                continue;
            }
            var childPath = Join(path, key.Value!);
            var value = ReadNode(parser, childPath, source, anchors, errors);
            if (!seen.Add(key.Value!))
            {
                errors.Add(new ConfigError(childPath, $"duplicate key '{key.Value}'", key.Location, "each key may appear once in a mapping; remove or rename one"));
                continue;
            }
            map.Entries.Add(new(key, value));
        }
        // YAML merge keys: keys written in the mapping win over merged ones; earlier merge sources win over later.
        foreach (var from in merged)
        {
            foreach (var (k, v) in from.Entries)
            {
                if (seen.Add(k.Value!)) map.Entries.Add(new(k, Copy(v, Join(path, k.Value!))));
            }
        }
        return map;
    }

    static void CollectMerge(ConfigNode node, List<ConfigMapping> merged, List<ConfigError> errors)
    {
        switch (node)
        {
            case ConfigMapping m:
                merged.Add(m);
                return;
            case ConfigSequence s when s.Items.All(i => i is ConfigMapping):
                merged.AddRange(s.Items.Cast<ConfigMapping>());
                return;
            default:
                errors.Add(new ConfigError(node.Path, $"'<<' merges a mapping or a list of mappings, found {node.Kind}", node.Location, "write <<: *anchor where the anchor names a mapping"));
                return;
        }
    }

    /// A deep copy of <paramref name="node"/> placed at <paramref name="path"/>; locations still point at the written text.
    static ConfigNode Copy(ConfigNode node, string path)
    {
        switch (node)
        {
            case ConfigScalar s:
                return new ConfigScalar(path, s.Location, s.Value, s.Quoted);
            case ConfigSequence seq:
                var list = new ConfigSequence(path, seq.Location);
                for (var i = 0; i < seq.Items.Count; i++) list.Items.Add(Copy(seq.Items[i], $"{path}[{i}]"));
                return list;
            default:
                var from = (ConfigMapping)node;
                var map = new ConfigMapping(path, from.Location);
                foreach (var (k, v) in from.Entries) map.Entries.Add(new(k, Copy(v, Join(path, k.Value!))));
                return map;
        }
    }

    static void Remember(AnchorName anchor, ConfigNode node, Dictionary<string, ConfigNode> anchors)
    {
        if (!anchor.IsEmpty) anchors[anchor.Value] = node;
    }

    internal static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}

namespace Portico.Tests.Schema;

/// The ```yaml blocks of a Markdown file that are complete configurations. The rule (documented in
/// docs/configuration.md, "Examples in these docs"): a block is a complete config when its first line starts,
/// at column 0, with a top-level key (gateways:, services:, routes:, server: or x-…:). Blocks that start
/// with anything else (a comment, a list item, an indented line) are fragments and are not checked.
internal static class MarkdownConfigBlocks
{
    static readonly string[] TopLevelKeys = ["gateways:", "services:", "routes:", "server:"];

    public sealed record Block(string File, int Line, string Text)
    {
        public override string ToString() => $"{File}:{Line}";
    }

    public static IEnumerable<Block> Read(string relativePath)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoFiles.Root, relativePath));
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = lines[i].TrimStart();
            if (!fence.StartsWith("```", StringComparison.Ordinal)) continue;
            var info = fence[3..].Trim();
            var start = i + 1;
            var end = start;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal)) end++;
            i = end;
            if (info is not ("yaml" or "yml") || start >= end) continue;
            var body = lines[start..end];
            if (IsCompleteConfig(body[0])) yield return new Block(relativePath, start + 1, string.Join('\n', body) + "\n");
        }
    }

    public static bool IsCompleteConfig(string firstLine) =>
        TopLevelKeys.Any(k => firstLine.StartsWith(k, StringComparison.Ordinal)) || firstLine.StartsWith("x-", StringComparison.Ordinal);
}

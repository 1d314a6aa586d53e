using System.Text.RegularExpressions;

namespace Portico.Tests.Schema;

/// The ```yaml blocks of a Markdown file that are complete configurations. The rule (documented in
/// docs/configuration.md, "Examples in these docs"): a block is a complete config when its first line starts,
/// at column 0, with a top-level key (gateways:, services:, routes:, server: or x-…:). Blocks that start
/// with anything else (a comment, a list item, an indented line) are fragments and are not checked.
/// A complete config followed directly by a fenced block that runs `validate` is a deliberately broken
/// example: its expected errors are the indented `file:line:col …` lines of that output.
internal static partial class MarkdownConfigBlocks
{
    static readonly string[] TopLevelKeys = ["gateways:", "services:", "routes:", "server:"];

    [GeneratedRegex(@"^\s+\S*?:(?<line>\d+):(?<col>\d+) (?<rest>.+)$")]
    private static partial Regex ErrorLine();

    public sealed record Block(string File, int Line, string Text, IReadOnlyList<string>? ExpectedErrors)
    {
        public override string ToString() => $"{File}:{Line}";
    }

    public static IEnumerable<Block> Read(string relativePath)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoFiles.Root, relativePath));
        var fences = new List<(string Info, int Start, int End)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = lines[i].TrimStart();
            if (!fence.StartsWith("```", StringComparison.Ordinal)) continue;
            var end = i + 1;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal)) end++;
            fences.Add((fence[3..].Trim(), i + 1, end));
            i = end;
        }
        for (var f = 0; f < fences.Count; f++)
        {
            var (info, start, end) = fences[f];
            if (info is not ("yaml" or "yml") || start >= end || !IsCompleteConfig(lines[start])) continue;
            var body = lines[start..end];
            yield return new Block(relativePath, start + 1, string.Join('\n', body) + "\n", ExpectedErrors(lines, end, f + 1 < fences.Count ? fences[f + 1] : null));
        }
    }

    /// The errors shown by a `validate` run in the fenced block right after the config, or null when there is none.
    static List<string>? ExpectedErrors(string[] lines, int configEnd, (string Info, int Start, int End)? next)
    {
        if (next is not { } output) return null;
        var between = lines[(configEnd + 1)..(output.Start - 1)];
        if (between.Any(l => l.Trim().Length > 0)) return null;
        if (output.Start >= output.End || !lines[output.Start].Contains(" validate", StringComparison.Ordinal)) return null;
        return lines[output.Start..output.End]
            .Select(l => ErrorLine().Match(l))
            .Where(m => m.Success)
            .Select(m => $"{m.Groups["line"].Value}:{m.Groups["col"].Value} {m.Groups["rest"].Value.TrimEnd()}")
            .ToList();
    }

    public static bool IsCompleteConfig(string firstLine) =>
        TopLevelKeys.Any(k => firstLine.StartsWith(k, StringComparison.Ordinal)) || firstLine.StartsWith("x-", StringComparison.Ordinal);
}

namespace Portico.IntegrationTests.Demo;

/// The `curl` lines of the README's "Run the demo" section, read from the README itself.
internal static class ReadmeDemo
{
    public const string SectionHeading = "## Run the demo";

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portico.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"Portico.sln not found above {AppContext.BaseDirectory}");
    }

    /// Lines starting with `curl ` inside code blocks of the demo section, exactly as written.
    public static IReadOnlyList<string> CurlLines()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "README.md"));
        var start = Array.FindIndex(lines, l => l.TrimEnd() == SectionHeading);
        if (start < 0) throw new InvalidOperationException($"README.md has no '{SectionHeading}' section");
        var result = new List<string>();
        var inCode = false;
        for (var i = start + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            if (lines[i].StartsWith("```", StringComparison.Ordinal)) inCode = !inCode;
            else if (inCode && lines[i].StartsWith("curl ", StringComparison.Ordinal)) result.Add(lines[i]);
        }
        return result;
    }
}

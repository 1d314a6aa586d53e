namespace Portico.Tests.Schema;

/// Files of the repository these tests check: found from the test binaries by walking up to Portico.sln.
internal static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portico.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"Portico.sln not found above {AppContext.BaseDirectory}");
    }

    public static string SchemaPath => Path.Combine(Root, "docs", "portico.schema.json");

    /// samples/**/*.yaml|yml and docs/examples/*.yaml|yml|json, as repository-relative paths.
    public static IEnumerable<string> ConfigFiles()
    {
        var files = new List<string>();
        foreach (var (dir, option, extensions) in new[]
        {
            ("samples", SearchOption.AllDirectories, new[] { ".yaml", ".yml" }),
            (Path.Combine("docs", "examples"), SearchOption.TopDirectoryOnly, new[] { ".yaml", ".yml", ".json" }),
        })
        {
            var full = Path.Combine(Root, dir);
            if (!Directory.Exists(full)) continue;
            files.AddRange(Directory.EnumerateFiles(full, "*.*", option)
                .Where(f => extensions.Contains(Path.GetExtension(f)))
                .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj")));
        }
        return files.Select(f => Path.GetRelativePath(Root, f)).Order(StringComparer.Ordinal);
    }

    /// README.md and docs/*.md.
    public static IEnumerable<string> MarkdownFiles()
    {
        var list = new List<string>();
        if (File.Exists(Path.Combine(Root, "README.md"))) list.Add("README.md");
        // The library package's README.
        if (File.Exists(Path.Combine(Root, "src", "Portico", "README.md"))) list.Add(Path.Combine("src", "Portico", "README.md"));
        var docs = Path.Combine(Root, "docs");
        if (Directory.Exists(docs)) list.AddRange(Directory.EnumerateFiles(docs, "*.md").Select(f => Path.GetRelativePath(Root, f)));
        return list.Order(StringComparer.Ordinal);
    }
}

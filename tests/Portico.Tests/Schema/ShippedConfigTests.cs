using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Schema;

/// Every config we ship or show as complete must pass both the JSON Schema (what editors check) and the
/// loader (what the gateway checks).
public sealed class ShippedConfigTests
{
    /// Variables the shipped configs may reference without a default; everything else must have ${X:-default}.
    static readonly Dictionary<string, string> Environment = [];

    /// The C# request policies the shipped apps register (samples/Portico.Embedded: tenant-check).
    static readonly string[] Policies = ["tenant-check"];

    public static TheoryData<string> ConfigFiles() => new(RepoFiles.ConfigFiles());

    public static TheoryData<string, int> MarkdownBlocks() =>
        new(RepoFiles.MarkdownFiles().SelectMany(MarkdownConfigBlocks.Read).Select(b => (b.File, b.Line)));

    [Theory]
    [MemberData(nameof(ConfigFiles))]
    public void ConfigFile_MatchesTheSchema(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepoFiles.Root, file));

        var errors = SchemaFixture.ValidateYaml(text, file);

        errors.ShouldBeEmpty(SchemaFixture.Describe(errors));
    }

    [Theory]
    [MemberData(nameof(ConfigFiles))]
    public void ConfigFile_LoadsWithoutErrors(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepoFiles.Root, file));

        var result = ConfigLoading.LoadText(text, file, BuiltInRouteKinds.Set, name => Environment.GetValueOrDefault(name), [], Policies);

        result.Errors.ShouldBeEmpty(string.Join(System.Environment.NewLine, result.Errors));
    }

    [Theory]
    [MemberData(nameof(MarkdownBlocks))]
    public void MarkdownConfigBlock_MatchesTheSchemaAndLoads(string file, int line)
    {
        var block = MarkdownConfigBlocks.Read(file).Single(b => b.Line == line);

        var schemaErrors = SchemaFixture.ValidateYaml(block.Text, block.ToString());
        var result = ConfigLoading.LoadText(block.Text, block.ToString(), BuiltInRouteKinds.Set, name => Environment.GetValueOrDefault(name), [], Policies);

        if (block.ExpectedErrors is { } expected)
        {
            // A deliberately broken example: the output printed under it must be what Portico reports.
            schemaErrors.ShouldNotBeEmpty();
            result.Errors.Select(WithoutSource).ShouldBe(expected);
        }
        else
        {
            schemaErrors.ShouldBeEmpty(SchemaFixture.Describe(schemaErrors));
            result.Errors.ShouldBeEmpty(string.Join(System.Environment.NewLine, result.Errors));
        }
    }

    /// "line:col path: message — hint", as printed after the file name.
    static string WithoutSource(ConfigError error) =>
        error.Location is { } l ? $"{l.Line}:{l.Column} {error.ToString()[(l.ToString().Length + 1)..]}" : error.ToString();

    [Fact]
    public void DocsExamples_AreFound()
    {
        RepoFiles.ConfigFiles().Where(f => f.StartsWith("docs", StringComparison.Ordinal)).Count().ShouldBeGreaterThanOrEqualTo(5);
    }

    [Fact]
    public void ConfigurationReference_HasCompleteConfigBlocks()
    {
        MarkdownConfigBlocks.Read(Path.Combine("docs", "configuration.md")).Count().ShouldBeGreaterThan(3);
    }
}

using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Configuration;

/// Loads config text the way the gateway does, with a controlled environment (never the test process's).
internal static class TestConfig
{
    public const string Source = "portico.yaml";

    public static ConfigLoadResult Load(string yaml, IReadOnlyDictionary<string, string>? env = null, IEnumerable<KeyValuePair<string, string>>? overrides = null) =>
        ConfigLoader.LoadText(yaml, Source, name => env?.GetValueOrDefault(name), overrides ?? []);

    public static PorticoConfig LoadValid(string yaml, IReadOnlyDictionary<string, string>? env = null, IEnumerable<KeyValuePair<string, string>>? overrides = null)
    {
        var result = Load(yaml, env, overrides);
        result.Errors.ShouldBeEmpty(string.Join(Environment.NewLine, result.Errors));
        return result.Config!;
    }

    public static IReadOnlyList<ConfigError> Errors(string yaml, IReadOnlyDictionary<string, string>? env = null, IEnumerable<KeyValuePair<string, string>>? overrides = null)
    {
        var result = Load(yaml, env, overrides);
        result.Success.ShouldBeFalse();
        return result.Errors;
    }

    /// The single error at <paramref name="path"/>; fails listing every error when there is not exactly one.
    public static ConfigError ErrorAt(this IReadOnlyList<ConfigError> errors, string path)
    {
        var matching = errors.Where(e => e.Path == path).ToList();
        matching.Count.ShouldBe(1, $"errors at '{path}' among:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        return matching[0];
    }

    /// 1-based line of the first line of <paramref name="text"/> containing <paramref name="fragment"/>.
    public static int LineOf(string text, string fragment)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(fragment, StringComparison.Ordinal)) return i + 1;
        }
        throw new InvalidOperationException($"'{fragment}' is not in the text");
    }
}

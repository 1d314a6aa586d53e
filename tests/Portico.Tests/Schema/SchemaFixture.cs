using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Portico.Tests.Schema;

/// docs/portico.schema.json, loaded once.
internal static class SchemaFixture
{
    static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromJsonAsync(File.ReadAllText(RepoFiles.SchemaPath)).GetAwaiter().GetResult());

    public static ICollection<ValidationError> Validate(JToken json) => Schema.Value.Validate(json);

    public static ICollection<ValidationError> ValidateYaml(string yaml, string source = "test.yaml") => Validate(ConfigJson.FromText(yaml, source));

    public static string Describe(IEnumerable<ValidationError> errors) => string.Join(Environment.NewLine, errors.Select(Describe));

    static string Describe(ValidationError e)
    {
        var inner = Children(e).ToList();
        return inner.Count == 0 ? $"{e.Path}: {e.Kind}" : $"{e.Path}: {e.Kind} ({string.Join("; ", inner.Select(Describe))})";
    }

    /// The errors nested in oneOf/anyOf branches and in the alternatives of a multi-type schema.
    public static IEnumerable<ValidationError> Children(ValidationError e) => e switch
    {
        ChildSchemaValidationError c => c.Errors.SelectMany(x => x.Value),
        MultiTypeValidationError m => m.Errors.SelectMany(x => x.Value),
        _ => [],
    };

    public static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors) =>
        errors.SelectMany(e => new[] { e }.Concat(Flatten(Children(e))));
}

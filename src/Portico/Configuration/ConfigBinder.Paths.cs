namespace Portico.Configuration;

internal static partial class ConfigBinder
{
    static readonly Dictionary<string, EscapedSlashAction> EscapedSlashNames = new(StringComparer.Ordinal)
    {
        ["reject"] = EscapedSlashAction.Reject,
        ["decode"] = EscapedSlashAction.Decode,
        ["keep"] = EscapedSlashAction.Keep,
    };

    static readonly Dictionary<string, BackslashAction> BackslashNames = new(StringComparer.Ordinal)
    {
        ["reject"] = BackslashAction.Reject,
        ["decode"] = BackslashAction.Decode,
    };

    static readonly Dictionary<string, PathFormAction> PathFormNames = new(StringComparer.Ordinal)
    {
        ["reject"] = PathFormAction.Reject,
        ["keep"] = PathFormAction.Keep,
    };

    static readonly Dictionary<string, OtherMethodsAction> OtherMethodsNames = new(StringComparer.Ordinal)
    {
        ["reject"] = OtherMethodsAction.Reject,
        ["next"] = OtherMethodsAction.Next,
    };

    /// A gateway's `paths:` normalization policy; null (the secure defaults) when absent.
    static PathsDefinition? BindPaths(MappingReader g, List<ConfigError> errors)
    {
        var node = g.Node("paths");
        if (node is null) return null;
        var p = new MappingReader(node, errors, "path normalization");
        var d = PathsDefinition.Default;
        var result = new PathsDefinition(
            p.Bool("mergeSlashes") ?? d.MergeSlashes,
            p.Enum("escapedSlashes", EscapedSlashNames) ?? d.EscapedSlashes,
            p.Enum("backslashes", BackslashNames) ?? d.Backslashes,
            p.Enum("pathParameters", PathFormNames) ?? d.PathParameters,
            p.Enum("trailingDots", PathFormNames) ?? d.TrailingDots);
        p.Done();
        return result;
    }
}

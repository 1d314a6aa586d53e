using System.Text;

namespace Portico.Configuration;

/// `${NAME}`, `${NAME:-default}` and `$${` (a literal `${`) in scalar values. Substitution happens after
/// parsing, so a variable's value can never change the document's structure.
internal static class EnvironmentSubstitution
{
    public static void Apply(ConfigNode node, Func<string, string?> lookup, List<ConfigError> errors)
    {
        switch (node)
        {
            case ConfigScalar { Value: not null } scalar:
                scalar.Value = Substitute(scalar, lookup, errors);
                break;
            case ConfigSequence seq:
                foreach (var item in seq.Items) Apply(item, lookup, errors);
                break;
            case ConfigMapping map:
                foreach (var (_, value) in map.Entries) Apply(value, lookup, errors);
                break;
        }
    }

    static string Substitute(ConfigScalar scalar, Func<string, string?> lookup, List<ConfigError> errors)
    {
        var text = scalar.Value!;
        if (!text.Contains('$')) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                sb.Append("${");
                i += 2;
                continue;
            }
            if (text[i] != '$' || i + 1 >= text.Length || text[i + 1] != '{')
            {
                sb.Append(text[i]);
                continue;
            }
            var end = text.IndexOf('}', i + 2);
            if (end < 0)
            {
                errors.Add(new ConfigError(scalar.Path, $"unterminated '${{' in '{text}'", scalar.Location, "close it with '}', or write '$${' for a literal '${'"));
                return text;
            }
            var expr = text[(i + 2)..end];
            string? fallback = null;
            var sep = expr.IndexOf(":-", StringComparison.Ordinal);
            if (sep >= 0)
            {
                fallback = expr[(sep + 2)..];
                expr = expr[..sep];
            }
            if (expr.Length == 0 || !expr.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                errors.Add(new ConfigError(scalar.Path, $"'${{{expr}}}' is not a valid environment variable reference", scalar.Location, "use ${NAME} or ${NAME:-default} with letters, digits and '_'"));
                return text;
            }
            var value = lookup(expr);
            if (string.IsNullOrEmpty(value)) value = fallback;
            if (value is null)
            {
                errors.Add(new ConfigError(scalar.Path, $"environment variable '{expr}' is not set", scalar.Location, $"set {expr}, or give a default: ${{{expr}:-value}}"));
                return text;
            }
            sb.Append(value);
            i = end;
        }
        return sb.ToString();
    }
}

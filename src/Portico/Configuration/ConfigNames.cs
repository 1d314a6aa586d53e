namespace Portico.Configuration;

/// Names in the config (services, gateways, policies, …): letters, digits, '.', '_' and '-', starting with a letter or digit.
internal static class ConfigNames
{
    public static bool IsValid(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

using Portico.Configuration;

namespace Portico.Hosting;

/// <summary>File or text → validated <see cref="PorticoConfig"/>, or every error found, with the route kinds Portico ships.</summary>
public static class ConfigLoader
{
    /// <summary>
    /// Loads and validates the config file at <paramref name="path"/>: `${VAR}` from <paramref name="environment"/>
    /// (the process's by default), then <paramref name="overrides"/> (`PORTICO__…` variables by default).
    /// </summary>
    public static ConfigLoadResult LoadFile(string path, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null) =>
        ConfigLoading.LoadFile(path, BuiltInRouteKinds.Set, environment, overrides);

    /// <summary>
    /// Loads and validates config text; <paramref name="source"/> names it in errors. Files it names (.proto, keys)
    /// are not read: without a file there is no folder to find them in.
    /// </summary>
    public static ConfigLoadResult LoadText(string text, string source, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null) =>
        ConfigLoading.LoadText(text, source, BuiltInRouteKinds.Set, environment, overrides);
}

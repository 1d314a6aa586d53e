using Portico.Configuration;

namespace Portico.Hosting;

/// File or text → validated <see cref="PorticoConfig"/>, or every error found, with the route kinds Portico ships.
public static class ConfigLoader
{
    /// Loads and validates the config file at <paramref name="path"/>: `${VAR}` from <paramref name="environment"/>
    /// (the process's by default), then <paramref name="overrides"/> (`PORTICO__…` variables by default).
    public static ConfigLoadResult LoadFile(string path, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null) =>
        ConfigLoading.LoadFile(path, BuiltInRouteKinds.Set, environment, overrides);

    /// Loads and validates config text; <paramref name="source"/> names it in errors. Files it names (.proto, keys)
    /// are not read: without a file there is no folder to find them in.
    public static ConfigLoadResult LoadText(string text, string source, Func<string, string?>? environment = null, IEnumerable<KeyValuePair<string, string>>? overrides = null) =>
        ConfigLoading.LoadText(text, source, BuiltInRouteKinds.Set, environment, overrides);
}

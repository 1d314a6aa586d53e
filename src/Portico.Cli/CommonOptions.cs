using System.CommandLine;

namespace Portico.Cli;

internal static class CommonOptions
{
    public static Option<FileInfo> Config() => new("--config", "-c")
    {
        Description = "The configuration file (YAML or JSON).",
        Required = true,
    };
}

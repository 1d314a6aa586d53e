using System.CommandLine;

namespace Portico.Cli;

/// The `portico` command tree; Program only parses and invokes it, so tests can run commands in-process.
public static class PorticoCli
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("Portico — an API gateway on .NET and YARP.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(RoutesCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(ConsumersCommand.Create());
        root.Subcommands.Add(CacheCommand.Create());
        return root;
    }
}

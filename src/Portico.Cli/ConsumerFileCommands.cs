using System.CommandLine;
using Portico.Auth;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Cli;

/// Shared by `consumers` and `keys`: load the config (for the store — the consumers file, or Redis with `store: redis` —
/// and the consumers it declares) and report problems the same way `validate` does.
internal static class ConsumerFileCommands
{
    public static (PorticoConfig Config, ConsumerStore Store)? Open(ParseResult parse, FileInfo file)
    {
        var result = ConfigLoader.LoadFile(file.FullName);
        if (!result.Success)
        {
            parse.InvocationConfiguration.Error.WriteLine($"{file.Name}: {result.Errors.Count} error(s)");
            foreach (var error in result.Errors) parse.InvocationConfiguration.Error.WriteLine("  " + error);
            return null;
        }
        if (result.Config!.Auth is null)
        {
            parse.InvocationConfiguration.Error.WriteLine($"{file.Name} has no auth section; add auth: {{ apikey: {{}} }} first.");
            return null;
        }
        return (result.Config, ConsumerStore.Open(file.FullName, result.Config));
    }

    public static int Fail(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine(message);
        return 1;
    }
}

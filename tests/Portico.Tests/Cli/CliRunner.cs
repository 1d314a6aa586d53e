using System.CommandLine;
using Portico.Cli;

namespace Portico.Tests.Cli;

/// Runs the `portico` command in-process and captures what it writes (output and errors together).
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output)> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        var configuration = new InvocationConfiguration { Output = output, Error = output, ProcessTerminationTimeout = null };
        var exit = await PorticoCli.CreateRootCommand().Parse(args).InvokeAsync(configuration, TestContext.Current.CancellationToken);
        return (exit, output.ToString());
    }
}

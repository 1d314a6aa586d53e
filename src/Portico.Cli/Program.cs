using Portico.Auth;
using Portico.Cli;

try
{
    // No ProcessTerminationTimeout: System.CommandLine would end the process 2 s after SIGTERM; the host's own
    // signal handling drains in-flight requests for up to server.shutdownTimeout instead.
    return await PorticoCli.CreateRootCommand().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration
    {
        EnableDefaultExceptionHandler = false,
        ProcessTerminationTimeout = null,
    });
}
catch (ConsumerStoreUnavailableException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

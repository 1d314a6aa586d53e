using Portico.Auth;
using Portico.Cli;

try
{
    return await PorticoCli.CreateRootCommand().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ConsumerStoreUnavailableException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

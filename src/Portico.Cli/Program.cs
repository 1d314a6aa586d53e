using System.CommandLine;
using Portico.Cli;

var root = new RootCommand("Portico — an API gateway on .NET and YARP.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ValidateCommand.Create());
root.Subcommands.Add(RoutesCommand.Create());
return await root.Parse(args).InvokeAsync();

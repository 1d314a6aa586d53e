using Portico.Cli;

return await PorticoCli.CreateRootCommand().Parse(args).InvokeAsync();

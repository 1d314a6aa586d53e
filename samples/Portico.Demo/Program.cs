using System.Runtime.InteropServices;
using Portico.Configuration;
using Portico.Demo;

// `dotnet run --project samples/Portico.Demo [-- --config other.yaml]`
string? configPath = null;
if (args.Length == 2 && args[0] is "--config" or "-c") configPath = args[1];
else if (args.Length > 0)
{
    Console.Error.WriteLine("usage: dotnet run --project samples/Portico.Demo [-- --config FILE]");
    return 2;
}

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

DemoHost started;
try
{
    // Disposed by the `await using` below; on the failure paths nothing was started (StartAsync stops what it began).
#pragma warning disable CA2000
    started = await DemoHost.StartAsync(configPath);
#pragma warning restore CA2000
}
catch (DemoPortInUseException ex)
{
    Console.Error.WriteLine($"portico demo: {ex.Message}");
    return 1;
}
catch (ConfigException ex)
{
    Console.Error.WriteLine($"portico demo: the config has {ex.Errors.Count} error(s):");
    foreach (var error in ex.Errors) Console.Error.WriteLine("  " + error);
    return 1;
}
await using var demo = started;

Console.Out.WriteLine($"""

    Portico demo is running.

      config   {demo.ConfigPath}
               (edit and save it: the gateway reloads it; listener changes need a restart)

    """);
foreach (var (name, url) in demo.Servers.Reverse()) Console.Out.WriteLine($"      {name,-12} {url}");
Console.Out.WriteLine();
Console.Out.WriteLine("    Try:");
foreach (var line in DemoHost.CurlLines) Console.Out.WriteLine("      " + line);
Console.Out.WriteLine("    Use up the rate limit (five 200s, then 429):");
Console.Out.WriteLine("      " + DemoHost.RateLimitLoop);
Console.Out.WriteLine();
Console.Out.WriteLine("    Press Ctrl+C to stop.");
Console.Out.WriteLine();

await stop.Task;
Console.Out.WriteLine("portico demo: stopping…");
return 0;

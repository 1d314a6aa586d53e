using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Cli;

/// `portico run -c FILE`: starts the gateway; refuses to start on any config error.
internal static class RunCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not reload when the file changes (SIGHUP still reloads)." };
        var logFormat = new Option<string?>("--log-format") { Description = "json or text (overrides server.logging.format)." };
        logFormat.AcceptOnlyFromAmong("json", "text");
        var command = new Command("run", "Run the gateway with a configuration file.") { config, noWatch, logFormat };
        command.SetAction(async (parse, cancellation) =>
        {
            var file = parse.GetRequiredValue(config);
            try
            {
                await using var app = PorticoHost.Create(new PorticoHostOptions
                {
                    ConfigPath = file.FullName,
                    WatchConfigFile = !parse.GetValue(noWatch),
                    LogFormat = parse.GetValue(logFormat),
                });
                await app.StartAsync(cancellation);
                await app.WaitForShutdownAsync(cancellation);
                return 0;
            }
            catch (ConfigException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine($"{file.Name}: refusing to start, {ex.Errors.Count} error(s)");
                foreach (var error in ex.Errors) parse.InvocationConfiguration.Error.WriteLine("  " + error);
                return 1;
            }
        });
        return command;
    }
}

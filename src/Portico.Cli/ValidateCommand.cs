using System.CommandLine;
using Portico.Hosting;

namespace Portico.Cli;

/// `portico validate -c FILE`: every error with its location and a hint; exit code 1 when there are any.
/// Warnings (e.g. a protected route's other methods falling through to a weaker route) are printed, exit code 0.
internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var command = new Command("validate", "Check a configuration file and print every problem found.") { config };
        command.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(config);
            var result = ConfigLoader.LoadFile(file.FullName);
            if (result.Success)
            {
                var c = result.Config!;
                parse.InvocationConfiguration.Output.WriteLine($"{file.Name}: OK — {c.Gateways.Count} gateway(s), {c.Services.Count} service(s), {c.Routes.Count} route(s).");
                // Warnings do not fail validation: the config is usable, but maybe not as meant.
                var warnings = Portico.Routing.MethodFallThrough.Warnings(c, result.Sources);
                if (warnings.Count > 0) parse.InvocationConfiguration.Output.WriteLine($"{file.Name}: {warnings.Count} warning(s)");
                foreach (var warning in warnings) parse.InvocationConfiguration.Output.WriteLine("  warning: " + warning);
                return 0;
            }
            parse.InvocationConfiguration.Error.WriteLine($"{file.Name}: {result.Errors.Count} error(s)");
            foreach (var error in result.Errors) parse.InvocationConfiguration.Error.WriteLine("  " + error);
            return 1;
        });
        return command;
    }
}

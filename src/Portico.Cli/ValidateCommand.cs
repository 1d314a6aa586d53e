using System.CommandLine;
using Portico.Hosting;

namespace Portico.Cli;

/// `portico validate -c FILE`: every error with its location and a hint; exit code 1 when there are any.
/// Warnings (e.g. a protected route's other methods falling through to a weaker route) are printed, exit code 0.
/// `--policy NAME` (repeatable) names a C# request policy the embedding app registers, so routes may attach it.
internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var policy = new Option<string[]>("--policy")
        {
            Description = "A request policy the app that embeds Portico registers (repeat for each); routes may list it under policies.",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("validate", "Check a configuration file and print every problem found.") { config, policy };
        command.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(config);
            var names = parse.GetValue(policy) ?? [];
            if (names.FirstOrDefault(n => !Portico.Configuration.ConfigNames.IsValid(n)) is { } bad)
            {
                parse.InvocationConfiguration.Error.WriteLine($"--policy: '{Printable(bad)}' is not a policy name (letters, digits, '.', '_' and '-')");
                return 2;
            }
            var result = Portico.Configuration.ConfigLoading.LoadFile(file.FullName, BuiltInRouteKinds.Set, policies: names);
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

    /// A name from the command line as it may be printed: control characters escaped.
    static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}

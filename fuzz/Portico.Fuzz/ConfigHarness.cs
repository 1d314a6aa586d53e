using System.Text;
using Portico.Hosting;

namespace Portico.Fuzz;

/// YAML or JSON text → load and validate. The loader's contract: a Result with the config or errors, never a throw;
/// every error has a message, and a failed load has at least one error.
static class ConfigHarness
{
    static readonly KeyValuePair<string, string>[] NoOverrides = [];

    public static void Run(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        // No environment: ${VAR} references resolve to nothing, so a run does not depend on the machine.
        var result = ConfigLoader.LoadText(text, "fuzz.yaml", static _ => null, NoOverrides);
        FuzzAssert.True(result.Success || result.Errors.Count > 0, "a config refused without an error");
        foreach (var error in result.Errors)
            FuzzAssert.True(!string.IsNullOrWhiteSpace(error.Message), "an error without a message");
    }
}

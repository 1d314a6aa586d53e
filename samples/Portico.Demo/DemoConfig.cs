using System.Reflection;

namespace Portico.Demo;

/// Finds the demo's portico.yaml. The copy in the project folder comes first, so the file a user opens and
/// edits is the one the gateway watches; the copy next to the binary serves when that folder is gone.
public static class DemoConfig
{
    public const string FileName = "portico.yaml";

    public static string Locate()
    {
        var projectDirectory = typeof(DemoConfig).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Portico.Demo.ProjectDirectory")?.Value;
        if (projectDirectory is not null)
        {
            var inProject = Path.Combine(projectDirectory, FileName);
            if (File.Exists(inProject)) return inProject;
        }
        return Path.Combine(AppContext.BaseDirectory, FileName);
    }
}

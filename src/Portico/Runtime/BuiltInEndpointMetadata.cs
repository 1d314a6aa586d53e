namespace Portico.Runtime;

/// Marks Portico's own endpoints (health), which take no route policies.
public sealed class BuiltInEndpointMetadata
{
    public static readonly BuiltInEndpointMetadata Instance = new();
}

namespace Portico.Runtime;

/// Marks Portico's own endpoints (health), which take no route policies.
internal sealed class BuiltInEndpointMetadata
{
    public static readonly BuiltInEndpointMetadata Instance = new();
}

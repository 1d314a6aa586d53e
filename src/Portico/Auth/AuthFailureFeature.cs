namespace Portico.Auth;

/// Why a presented credential was refused, for the 401's detail. Holds only fixed phrases, never credential text.
internal sealed class AuthFailureFeature(string scheme, string reason)
{
    public string Scheme { get; } = scheme;
    public string Reason { get; } = reason;
}

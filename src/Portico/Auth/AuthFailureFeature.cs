namespace Portico.Auth;

/// Why a presented credential was refused, for the 401's detail. Holds only fixed phrases, never credential text.
internal sealed class AuthFailureFeature(string scheme, string reason)
{
    public string Scheme { get; } = scheme;
    public string Reason { get; } = reason;

    /// The credential is valid but may not be used this way (a cross-site request with a session cookie): 403, not 401.
    public bool Forbidden { get; init; }

    /// The credential could not be checked (its store is unreachable): 503, the caller may retry.
    public bool Unavailable { get; init; }

    /// The failure as a fixed class for metrics: unavailable, forbidden, expired or invalid.
    public string ReasonClass => Unavailable ? Telemetry.AuthReasons.Unavailable
        : Forbidden ? Telemetry.AuthReasons.Forbidden
        : Reason.Contains("expired", StringComparison.Ordinal) ? Telemetry.AuthReasons.Expired
        : Telemetry.AuthReasons.Invalid;
}

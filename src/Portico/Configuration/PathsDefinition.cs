namespace Portico.Configuration;

/// What a gateway does with an encoded slash (%2F) in a path.
internal enum EscapedSlashAction { Reject, Decode, Keep }

/// What a gateway does with a backslash (raw or %5C) in a path.
internal enum BackslashAction { Reject, Decode }

/// Reject a path form with 400, or keep it as data.
internal enum PathFormAction { Reject, Keep }

/// A gateway's `paths:` policy: how request paths are normalized before routing, so the path a route matched
/// and the path its upstream receives are the same resource. The defaults reject every ambiguous form.
/// <param name="MergeSlashes">`//` becomes `/` (after decoding, before dot segments are resolved).</param>
/// <param name="PathParameters">A ';' in a segment (`/api;x/users`), which some servers strip.</param>
/// <param name="TrailingDots">A segment ending in '.' (`/api./users`), which some servers strip.</param>
internal sealed record PathsDefinition(
    bool MergeSlashes = true,
    EscapedSlashAction EscapedSlashes = EscapedSlashAction.Reject,
    BackslashAction Backslashes = BackslashAction.Reject,
    PathFormAction PathParameters = PathFormAction.Reject,
    PathFormAction TrailingDots = PathFormAction.Reject)
{
    public static readonly PathsDefinition Default = new();
}

using Microsoft.AspNetCore.Routing.Patterns;
using Portico.Configuration;

namespace Portico.Routing;

/// A conservative check whether two path templates may match a common path: literals must agree (ignoring
/// case), a parameter or a complex segment may be anything, a catch-all takes the rest, an optional parameter
/// may be absent. "May" errs towards yes; it is used to warn, never to route.
internal static class PathOverlap
{
    public static bool MayOverlap(PathTemplate a, PathTemplate b) =>
        Overlap(a.Pattern.PathSegments, 0, b.Pattern.PathSegments, 0);

    static bool Overlap(IReadOnlyList<RoutePatternPathSegment> a, int i, IReadOnlyList<RoutePatternPathSegment> b, int j)
    {
        if (i < a.Count && IsCatchAll(a[i]) || j < b.Count && IsCatchAll(b[j])) return true;
        if (i == a.Count || j == b.Count) return AllOptional(a, i) && AllOptional(b, j);
        if (IsOptional(a[i]) && Overlap(a, i + 1, b, j)) return true;
        if (IsOptional(b[j]) && Overlap(a, i, b, j + 1)) return true;
        return Compatible(a[i], b[j]) && Overlap(a, i + 1, b, j + 1);
    }

    static bool Compatible(RoutePatternPathSegment x, RoutePatternPathSegment y) =>
        Literal(x) is not { } lx || Literal(y) is not { } ly || string.Equals(lx, ly, StringComparison.OrdinalIgnoreCase);

    static string? Literal(RoutePatternPathSegment s) => s.IsSimple && s.Parts[0] is RoutePatternLiteralPart l ? l.Content : null;

    static bool IsCatchAll(RoutePatternPathSegment s) => s.IsSimple && s.Parts[0] is RoutePatternParameterPart { IsCatchAll: true };

    static bool IsOptional(RoutePatternPathSegment s) => s.IsSimple && s.Parts[0] is RoutePatternParameterPart { IsOptional: true };

    static bool AllOptional(IReadOnlyList<RoutePatternPathSegment> segments, int from)
    {
        for (var k = from; k < segments.Count; k++)
        {
            if (!IsOptional(segments[k]) && !IsCatchAll(segments[k])) return false;
        }
        return true;
    }
}

using System.Text;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Portico.Configuration;

/// A route's path template, parsed once: its parameters, a shape for ambiguity checks and a specificity key
/// for precedence (literal segments beat parameters, parameters beat catch-alls).
internal sealed class PathTemplate
{
    PathTemplate(RoutePattern pattern)
    {
        Pattern = pattern;
        Parameters = pattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var shape = new StringBuilder();
        var key = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            shape.Append('/');
            if (segment.IsSimple && segment.Parts[0] is RoutePatternLiteralPart literal)
            {
                shape.Append(literal.Content.ToLowerInvariant());
                key.Append('1');
            }
            else if (segment.IsSimple && segment.Parts[0] is RoutePatternParameterPart p)
            {
                shape.Append(p.IsCatchAll ? "**" : p.IsOptional ? "?" : p.ParameterPolicies.Count > 0 ? "{c:" + string.Join(",", p.ParameterPolicies.Select(x => x.Content)) + "}" : "{}");
                key.Append(p.IsCatchAll ? '6' : p.IsOptional ? '5' : p.ParameterPolicies.Count > 0 ? '3' : '4');
            }
            else
            {
                foreach (var part in segment.Parts)
                    shape.Append(part is RoutePatternLiteralPart l ? l.Content.ToLowerInvariant() : "{}");
                key.Append('2');
            }
        }
        Shape = shape.Length == 0 ? "/" : shape.ToString();
        // The end marker sorts before every segment kind: a shorter template is more specific than a longer one that only adds optional or catch-all segments.
        SpecificityKey = key.Append('0').ToString();
    }

    public RoutePattern Pattern { get; }
    public IReadOnlySet<string> Parameters { get; }
    public string Shape { get; }
    public string SpecificityKey { get; }

    public static bool TryParse(string text, out PathTemplate? template, out string? error)
    {
        PlanCompilations.Note("path template");
        template = null;
        error = null;
        if (!text.StartsWith('/'))
        {
            error = "a path template must start with '/'";
            return false;
        }
        // No request path holds one (servers refuse them): a route with one would never match, or worse.
        if (text.Any(char.IsControl))
        {
            error = "it holds a control character";
            return false;
        }
        try
        {
            template = new PathTemplate(RoutePatternFactory.Parse(text));
            return true;
        }
        catch (RoutePatternException ex)
        {
            error = ex.Message;
            return false;
        }
        catch (InvalidOperationException ex)
        {
            // ASP.NET routing refuses templates of more than 28 segments with this, not a RoutePatternException.
            error = ex.Message;
            return false;
        }
    }
}

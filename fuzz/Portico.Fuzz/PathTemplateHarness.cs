using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Portico.Configuration;

namespace Portico.Fuzz;

/// A route path template and a request path (the input's first line and the rest): parse must answer true/false,
/// never throw; a parsed template's shape and key are well formed, and matching a path against it does not throw.
static class PathTemplateHarness
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        var newline = text.IndexOf('\n');
        var templateText = newline >= 0 ? text[..newline] : text;
        var path = newline >= 0 ? text[(newline + 1)..] : "/";

        if (!PathTemplate.TryParse(templateText, out var template, out var error))
        {
            FuzzAssert.True(template is null && !string.IsNullOrEmpty(error), "a refused template without an error");
            return;
        }
        FuzzAssert.True(template is not null && error is null, "a parsed template with an error");
        FuzzAssert.True(template!.Shape.StartsWith('/'), $"shape '{template.Shape}' does not start with '/'");
        FuzzAssert.True(template.SpecificityKey.EndsWith('0'), "specificity key without its end marker");

        var requestPath = path.StartsWith('/') ? path : "/" + path;
        var matcher = new TemplateMatcher(new RouteTemplate(template.Pattern), new RouteValueDictionary());
        var values = new RouteValueDictionary();
        if (matcher.TryMatch(requestPath, values))
        {
            foreach (var name in values.Keys)
                FuzzAssert.True(template.Parameters.Contains(name), $"matched value '{name}' is not a parameter of the template");
        }
    }
}

using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portico.Routing;

namespace Portico.Fuzz;

/// A rewrite template (first line), route values (one per following line, bound to the template's parameters in
/// order) and the client's query (last line). Parse and apply must not throw for a template the config accepts; the
/// upstream path starts with '/' and has no control characters, CR/LF, space, non-ASCII or unencoded '?'/'#'; the
/// query has none of those but '?' (RFC 3986 allows it there).
static class RewriteTemplateHarness
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var lines = Encoding.UTF8.GetString(data).Split('\n');
        var template = lines[0];
        var rewrite = RewriteTemplate.Parse(template, out var error);
        var names = rewrite.Parameters;
        // The config validator refuses these, so the gateway never applies them.
        if (error is not null || !template.StartsWith('/') || template.Contains('#', StringComparison.Ordinal)) return;
        if (template.Any(c => c <= ' ' || c >= 0x7f)) return; // literals are used as written: keep to what a path may hold

        var values = new RouteValueDictionary();
        for (var i = 0; i < names.Count; i++)
            values[names[i]] = 1 + i < lines.Length ? lines[1 + i] : "";
        var query = lines.Length > 1 + names.Count ? lines[^1] : "";
        // The client's query as Kestrel hands it on: printable ASCII, no fragment.
        var original = query.StartsWith('?') && query.All(c => c > ' ' && c < 0x7f && c != '#') ? new QueryString(query) : QueryString.Empty;

        var (path, upstreamQuery) = rewrite.Apply(values, original);

        foreach (var c in path)
        {
            FuzzAssert.True(c > ' ' && c < 0x7f, $"path '{Escape(path)}' holds a control, space or non-ASCII character");
            FuzzAssert.True(c is not ('?' or '#'), $"path '{Escape(path)}' holds an unencoded '?' or '#'");
        }
        FuzzAssert.True(path.StartsWith('/'), $"path '{Escape(path)}' does not start with '/'");
        if (upstreamQuery.HasValue)
        {
            foreach (var c in upstreamQuery.Value![1..])
            {
                FuzzAssert.True(c > ' ' && c < 0x7f, $"query '{Escape(upstreamQuery.Value)}' holds a control, space or non-ASCII character");
                FuzzAssert.True(c != '#', $"query '{Escape(upstreamQuery.Value)}' holds an unencoded '#'");
            }
        }
    }

    static string Escape(string text) => string.Concat(text.Select(c => c < ' ' || c > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
}

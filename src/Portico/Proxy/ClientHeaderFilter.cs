using Microsoft.AspNetCore.Http;

namespace Portico.Proxy;

/// Client request headers a proxied route drops unless its `headers.request.keep` lists them: names with '_'
/// (CGI/WSGI-style services read `X_User_Id` as `X-User-Id`, past the gateway's own stripping; nginx drops them too)
/// and the method-override and URL-override headers (a service that honours them would act on another method or
/// path than the one the gateway routed, authorized and cached).
internal sealed class ClientHeaderFilter
{
    /// Headers that make a service treat a request as another method or another URL.
    public static readonly string[] OverrideHeaders = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Original-URL", "X-Rewrite-URL"];

    public static readonly ClientHeaderFilter Default = new([]);

    readonly HashSet<string> _keep;

    public ClientHeaderFilter(IEnumerable<string> keep) => _keep = new HashSet<string>(keep, StringComparer.OrdinalIgnoreCase);

    /// True for a method-override or URL-override header name.
    public static bool IsOverride(string name)
    {
        if (name.Length < 12 || name[0] is not ('X' or 'x')) return false;
        foreach (var o in OverrideHeaders)
        {
            if (o.Equals(name, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// Removes the dropped headers the client sent from the upstream request.
    public void Apply(IHeaderDictionary incoming, HttpRequestMessage proxyRequest)
    {
        List<string>? drop = null;
        foreach (var (name, _) in incoming)
        {
            if ((name.Contains('_') || IsOverride(name)) && !_keep.Contains(name)) (drop ??= []).Add(name);
        }
        if (drop is null) return;
        foreach (var name in drop)
        {
            proxyRequest.Headers.Remove(name);
            proxyRequest.Content?.Headers.Remove(name);
        }
    }
}

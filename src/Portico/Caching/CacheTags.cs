namespace Portico.Caching;

/// Tags on cached responses, by which `portico cache purge` evicts them: every entry has <see cref="All"/>, its
/// route's tag and one tag per leading path segment, so a purge by prefix takes `/api/users/7` with `/api/users`.
internal static class CacheTags
{
    public const string All = "portico:all";
    const int MaxPathSegments = 8;

    public static string Route(string route) => "route:" + route;

    /// The tag of a path prefix as `portico cache purge --prefix` names it: whole segments, no trailing slash.
    public static string Prefix(string prefix) => "path:" + (prefix.Length > 1 ? prefix.TrimEnd('/') : prefix);

    public static void AddPathTags(ISet<string> tags, string path)
    {
        var end = 0;
        for (var i = 0; i < MaxPathSegments; i++)
        {
            var next = path.IndexOf('/', end + 1);
            var prefix = next < 0 ? path : path[..next];
            if (prefix.Length > 1) tags.Add("path:" + prefix);
            if (next < 0) return;
            end = next;
        }
    }
}

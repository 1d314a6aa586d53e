using Microsoft.AspNetCore.Http;
using Portico.Configuration;

namespace Portico.Runtime;

/// Gateway defaults then route settings, merged once: headers to remove, set (replace) and append.
internal sealed class HeaderTransformPlan
{
    HeaderTransformPlan(string[] remove, KeyValuePair<string, string>[] set, KeyValuePair<string, string>[] append, string[] keep)
    {
        Remove = remove;
        Set = set;
        Append = append;
        Keep = keep;
    }

    public string[] Remove { get; }
    public KeyValuePair<string, string>[] Set { get; }
    public KeyValuePair<string, string>[] Append { get; }

    /// Client headers dropped by default that this route forwards (see `Proxy.ClientHeaderFilter`).
    public string[] Keep { get; }
    public bool IsEmpty => Remove.Length == 0 && Set.Length == 0 && Append.Length == 0;

    public static HeaderTransformPlan Merge(HeaderTransforms gateway, HeaderTransforms route)
    {
        var set = new List<KeyValuePair<string, string>>();
        foreach (var pair in gateway.Set.Concat(route.Set))
        {
            set.RemoveAll(p => string.Equals(p.Key, pair.Key, StringComparison.OrdinalIgnoreCase));
            set.Add(pair);
        }
        return new HeaderTransformPlan(
            gateway.Remove.Concat(route.Remove).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            [.. set],
            [.. gateway.Append, .. route.Append],
            (gateway.Keep ?? []).Concat(route.Keep ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
    }

    public void ApplyTo(HttpRequestMessage request)
    {
        foreach (var name in Remove)
        {
            request.Headers.Remove(name);
            request.Content?.Headers.Remove(name);
        }
        foreach (var (name, value) in Set)
        {
            request.Headers.Remove(name);
            request.Content?.Headers.Remove(name);
            Add(request, name, value);
        }
        foreach (var (name, value) in Append) Add(request, name, value);
    }

    static void Add(HttpRequestMessage request, string name, string value)
    {
        if (!request.Headers.TryAddWithoutValidation(name, value))
        {
            request.Content ??= new ByteArrayContent([]);
            request.Content.Headers.TryAddWithoutValidation(name, value);
        }
    }

    public void ApplyTo(IHeaderDictionary headers)
    {
        foreach (var name in Remove) headers.Remove(name);
        foreach (var (name, value) in Set) headers[name] = value;
        foreach (var (name, value) in Append) headers.Append(name, value);
    }

}

using System.Net;
using System.Text.RegularExpressions;

namespace Portico.Configuration;

internal static partial class ConfigValidator
{
    [GeneratedRegex("^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}$")]
    private static partial Regex HostPortRegex();

    static readonly string[] KeyKinds = ["consumer", "ip", "route", "header:"];

    static void ValidateTraffic(PorticoConfig config, Action<string, string, string?> error)
    {
        if (config.Store is { Kind: StoreKind.Redis, Connection: { } connection } && !HostPortRegex().IsMatch(connection.Split(',')[0].Trim()))
            error("store.connection", $"'{connection}' is not host:port", "e.g. 127.0.0.1:6379 (StackExchange.Redis options may follow after commas)");

        var policyNames = (config.RateLimits ?? []).Select(p => p.Name).ToList();
        foreach (var p in config.RateLimits ?? [])
        {
            var pp = $"rateLimits.{p.Name}";
            if (!NameRegex().IsMatch(p.Name) || p.Name == RateLimitDefinition.None)
                error(pp, $"'{p.Name}' is not a valid rate limit name", p.Name == RateLimitDefinition.None ? "'none' opts a route out of its gateway's limit; pick another name" : "use letters, digits, '.', '_' and '-'");
            if (p.Algorithm != RateLimitAlgorithm.Concurrency && p.Window < TimeSpan.FromMilliseconds(1))
                error($"{pp}.window", "the window must be at least 1ms", "e.g. window: 1m");
            foreach (var part in p.Key)
            {
                if (part is "consumer" or "ip" or "route") continue;
                if (part.StartsWith("header:", StringComparison.Ordinal) && TokenRegex().IsMatch(part["header:".Length..])) continue;
                error($"{pp}.key", $"'{part}' is not a rate limit key", Suggest.DidYouMean(part, KeyKinds) ?? "use consumer, ip, route, header:Name, or a list of them, e.g. [consumer, route]");
            }
            if (p.Key.Distinct(StringComparer.Ordinal).Count() != p.Key.Count) error($"{pp}.key", "a key part is listed twice", "list each part once");
        }
        for (var i = 0; i < (config.TrustedProxies ?? []).Count; i++)
        {
            var text = config.TrustedProxies![i];
            if (!IPNetwork.TryParse(text, out _) && !IPAddress.TryParse(text, out _))
                error($"trustedProxies[{i}]", $"'{text}' is not an IP address or network", "e.g. 10.0.0.0/8, 192.168.1.10 or ::1");
        }

        void CheckReference(string path, string? name)
        {
            if (name is null || name == RateLimitDefinition.None || policyNames.Contains(name)) return;
            error(path, $"unknown rate limit '{name}'", Suggest.DidYouMean(name, policyNames) ?? (policyNames.Count == 0 ? "define it under rateLimits:" : null));
        }
        foreach (var g in config.Gateways)
        {
            if (g.RateLimit == RateLimitDefinition.None) error($"gateways.{g.Name}.rateLimit", "'none' is for routes", "remove rateLimit from the gateway to set no default");
            else CheckReference($"gateways.{g.Name}.rateLimit", g.RateLimit);
        }
        foreach (var r in config.Routes) CheckReference($"{r.ConfigPath}.rateLimit", r.RateLimit);
        ValidateCaching(config, error);
    }

    static void ValidateCaching(PorticoConfig config, Action<string, string, string?> error)
    {
        var names = (config.CachePolicies ?? []).Select(p => p.Name).ToList();
        foreach (var p in config.CachePolicies ?? [])
        {
            var pp = $"cachePolicies.{p.Name}";
            if (!NameRegex().IsMatch(p.Name)) error(pp, $"'{p.Name}' is not a valid cache policy name", "use letters, digits, '.', '_' and '-'");
            if (p.Ttl < TimeSpan.FromSeconds(1)) error($"{pp}.ttl", "the ttl must be at least 1s", "e.g. ttl: 30s");
            foreach (var header in p.Vary)
                if (!TokenRegex().IsMatch(header)) error($"{pp}.vary", $"'{header}' is not a header name", "e.g. vary: [Accept-Language]");
            foreach (var q in p.Query ?? [])
                if (q.Length == 0) error($"{pp}.query", "an empty query parameter name", "list parameter names, e.g. query: [page, size]");
        }
        if (config.Server.CacheSize < 1024 * 1024) error("server.cache.size", "the cache needs at least 1MiB", "e.g. size: 100MiB");
        if (config.Server.CacheMaxBodySize < 1) error("server.cache.maxBodySize", "must be at least 1 byte", "e.g. maxBodySize: 8MiB");
        if (config.Server.BufferedBodies < 1024 * 1024) error("server.limits.bufferedBodies", "the budget for buffered bodies needs at least 1MiB", "e.g. bufferedBodies: 256MiB");
        foreach (var r in config.Routes)
        {
            if (r.Cache is not { } name || names.Contains(name)) continue;
            error($"{r.ConfigPath}.cache", $"unknown cache policy '{name}'", Suggest.DidYouMean(name, names) ?? (names.Count == 0 ? "define it under cachePolicies:" : null));
        }
    }
}

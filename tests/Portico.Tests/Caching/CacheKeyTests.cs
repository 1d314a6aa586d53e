using Microsoft.AspNetCore.Http;
using Portico.Caching;
using Portico.Configuration;
using Portico.Identity;

namespace Portico.Tests.Caching;

public sealed class CacheKeyTests
{
    static RouteCachePolicy Policy(IReadOnlyList<string>? vary = null, IReadOnlyList<string>? query = null, string gateway = "web") =>
        new(new CachePolicyDefinition("p", TimeSpan.FromMinutes(1), vary ?? [], query, false), gateway, "route", authenticated: false);

    static string Key(RouteCachePolicy policy, string target, string host = "api.example", string method = "GET",
        IDictionary<string, string>? headers = null, GatewayIdentity? caller = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "https";
        request.Host = new HostString(host);
        var query = target.IndexOf('?');
        request.Path = query < 0 ? target : target[..query];
        if (query >= 0) request.QueryString = new QueryString(target[query..]);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers[name] = value;
        var key = new KeyWriter(stackalloc char[16]);
        try
        {
            CacheKey.Write(ref key, policy, context, caller);
            return key.ToString();
        }
        finally
        {
            key.Dispose();
        }
    }

    [Fact]
    public void Write_QueryInAnotherOrder_SameKey() =>
        Key(Policy(), "/items?b=2&a=1").ShouldBe(Key(Policy(), "/items?a=1&b=2"));

    [Theory]
    [InlineData("/items?a=1", "/items?a=2")]
    [InlineData("/items?a=1", "/items?A=1")]
    [InlineData("/items?a=1&a=2", "/items?a=2&a=1")]
    [InlineData("/items", "/Items")]
    public void Write_RequestsTheUpstreamCanTellApart_OtherKeys(string one, string other) =>
        Key(Policy(), one).ShouldNotBe(Key(Policy(), other));

    [Fact]
    public void Write_EmptyQueryString_SameAsNone() => Key(Policy(), "/items?").ShouldBe(Key(Policy(), "/items"));

    [Fact]
    public void Write_HostInAnotherCase_SameKey() =>
        Key(Policy(), "/items", host: "API.Example").ShouldBe(Key(Policy(), "/items", host: "api.example"));

    [Fact]
    public void Write_OtherMethodGatewayOrHost_OtherKeys()
    {
        var key = Key(Policy(), "/items");

        Key(Policy(), "/items", method: "HEAD").ShouldNotBe(key);
        Key(Policy(gateway: "mobile"), "/items").ShouldNotBe(key);
        Key(Policy(), "/items", host: "other.example").ShouldNotBe(key);
    }

    [Fact]
    public void Write_ListedQuery_OtherParametersIgnored_AbsentAndEmptyApart()
    {
        var policy = Policy(query: ["page"]);

        Key(policy, "/items?page=2&utm=x").ShouldBe(Key(policy, "/items?utm=y&page=2"));
        Key(policy, "/items?page=").ShouldNotBe(Key(policy, "/items"));
    }

    [Fact]
    public void Write_ValuesThatWouldJoinAlike_OtherKeys()
    {
        // Without the lengths in front, "1"+"23" and "12"+"3" would read the same.
        var policy = Policy(query: ["a", "b"]);

        Key(policy, "/x?a=1&b=23").ShouldNotBe(Key(policy, "/x?a=12&b=3"));
    }

    [Fact]
    public void Write_VaryHeaders_PartOfTheKey()
    {
        var policy = Policy(vary: ["Accept-Language"]);

        Key(policy, "/items", headers: new Dictionary<string, string> { ["Accept-Language"] = "de" })
            .ShouldNotBe(Key(policy, "/items", headers: new Dictionary<string, string> { ["Accept-Language"] = "fr" }));
        Key(policy, "/items", headers: new Dictionary<string, string> { ["X-Other"] = "1" }).ShouldBe(Key(policy, "/items"));
    }

    [Fact]
    public void Write_TwoCallers_OtherKeys()
    {
        var a = new GatewayIdentity("a", "a", [], "apikey");
        var b = new GatewayIdentity("b", "b", [], "apikey");

        Key(Policy(), "/mine", caller: a).ShouldNotBe(Key(Policy(), "/mine", caller: b));
        Key(Policy(), "/mine", caller: a).ShouldNotBe(Key(Policy(), "/mine"));
    }

    [Fact]
    public void Write_KeyLongerThanTheStackBuffer_Complete()
    {
        var path = "/" + new string('p', 5000);

        var key = Key(Policy(), path);

        key.ShouldContain(path);
        key.Length.ShouldBeGreaterThan(5000);
    }
}

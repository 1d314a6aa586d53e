using Microsoft.AspNetCore.Http;
using Portico.Routing;

namespace Portico.Tests.Routing;

public sealed class UpstreamPathTests
{
    [Theory]
    [InlineData("/plain/path", "/plain/path")]
    [InlineData("/a b/c", "/a%20b/c")]
    [InlineData("/a%2Fb/c", "/a%2Fb/c")]
    [InlineData("/a%2fb%2Fc", "/a%2Fb%2Fc")]
    [InlineData("/50%41", "/50%2541")]
    [InlineData("/%2F", "/%2F")]
    [InlineData("x%2F y", "x%2F%20y")]
    [InlineData("", "")]
    public void Encode_DecodedPath_EncodedOnceWithEncodedSlashKept(string decoded, string expected)
    {
        UpstreamPath.Encode(decoded).ShouldBe(expected);
    }

    [Theory]
    [InlineData("http://10.0.0.1:8080", "/users/1", "?a=1", "http://10.0.0.1:8080/users/1?a=1")]
    [InlineData("http://10.0.0.1:8080/", "/users/1", "", "http://10.0.0.1:8080/users/1")]
    [InlineData("http://10.0.0.1:8080/base/", "/a%2Fb", "", "http://10.0.0.1:8080/base/a%2Fb")]
    public void Combine_PrefixPathAndQuery_OneSlashBetween(string prefix, string path, string query, string expected)
    {
        UpstreamPath.Combine(prefix, path, new QueryString(query)).AbsoluteUri.ShouldBe(expected);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portico.Routing;

namespace Portico.Tests.Routing;

public sealed class RewriteTemplateTests
{
    /// What goes on the wire to the upstream: the encoded path and query.
    static string Rewrite(string template, object values, string clientQuery = "")
    {
        var (path, query) = RewriteTemplate.Parse(template, out _).Apply(new RouteValueDictionary(values), new QueryString(clientQuery));
        return path + query.ToUriComponent();
    }

    [Fact]
    public void Apply_SimpleValue_Substituted()
    {
        Rewrite("/users/{id}", new { id = "42" }).ShouldBe("/users/42");
    }

    [Theory]
    [InlineData("a b", "/users/a%20b")]
    [InlineData("a?b", "/users/a%3Fb")]
    [InlineData("a#b", "/users/a%23b")]
    [InlineData("100%", "/users/100%25")]
    [InlineData("é", "/users/%C3%A9")]
    [InlineData("a%2Fb", "/users/a%2Fb")]
    [InlineData("50%41", "/users/50%2541")]
    public void Apply_ValueWithReservedCharacters_PercentEncoded(string id, string expected)
    {
        Rewrite("/users/{id}", new { id }).ShouldBe(expected);
    }

    [Fact]
    public void Apply_CatchAll_KeepsSlashesAndEncodesSegments()
    {
        Rewrite("/legacy/{rest}", new { rest = "a/b c/d" }).ShouldBe("/legacy/a/b%20c/d");
    }

    [Fact]
    public void Apply_CatchAllWithEncodedSlashInSegment_KeepsItEncodedOnce()
    {
        Rewrite("/legacy/{rest}", new { rest = "a%2fb/c" }).ShouldBe("/legacy/a%2Fb/c");
    }

    [Fact]
    public void Apply_LiteralWrittenEncoded_UsedAsWritten()
    {
        Rewrite("/v2/some%20thing/{id}", new { id = "1" }).ShouldBe("/v2/some%20thing/1");
    }

    [Fact]
    public void Apply_EncodedSlashInQueryValue_SentAsSlash()
    {
        Rewrite("/search?q={term}", new { term = "a%2Fb" }).ShouldBe("/search?q=a%2Fb");
    }

    [Fact]
    public void Apply_CatchAllWrittenWithStars_SameAsPlainName()
    {
        Rewrite("/legacy/{**rest}", new { rest = "x/y" }).ShouldBe("/legacy/x/y");
    }

    [Fact]
    public void Apply_MissingValue_LeavesSegmentEmpty()
    {
        Rewrite("/files/{rest}", new { }).ShouldBe("/files/");
    }

    [Fact]
    public void Apply_NoQueryInTemplate_ClientQueryKeptAsIs()
    {
        Rewrite("/users/{id}", new { id = "1" }, "?verbose=1&x=%20y").ShouldBe("/users/1?verbose=1&x=%20y");
    }

    [Fact]
    public void Apply_TemplateQuery_MergedWithClientQuery_TemplateWinsOnSameName()
    {
        var result = Rewrite("/search?type=user&id={id}", new { id = "7" }, "?type=admin&page=2");

        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(result[result.IndexOf('?')..]);
        result.ShouldStartWith("/search?");
        query["type"].ToString().ShouldBe("user");
        query["id"].ToString().ShouldBe("7");
        query["page"].ToString().ShouldBe("2");
        query.Count.ShouldBe(3);
    }

    [Fact]
    public void Apply_TemplateQueryValue_Encoded()
    {
        Rewrite("/search?q={term}", new { term = "a&b=c d" }).ShouldBe("/search?q=a%26b%3Dc%20d");
    }

    [Fact]
    public void Parameters_ListsValuesUsedInPathAndQuery()
    {
        RewriteTemplate.Parse("/users/{id}/x/{**rest}?e={expand}", out var error).Parameters.ShouldBe(["id", "rest", "expand"]);
        error.ShouldBeNull();
    }

    [Theory]
    [InlineData("/users/{id")]
    [InlineData("/users/{}")]
    [InlineData("/users?{id}=1")]
    [InlineData("/users?q={term")]
    public void Parse_MalformedTemplate_ReportsError(string template)
    {
        RewriteTemplate.Parse(template, out var error);

        error.ShouldNotBeNull();
    }
}

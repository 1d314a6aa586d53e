using Portico.Protocols.Grpc;

namespace Portico.Tests.Protocols.Grpc;

public sealed class HttpRuleTemplateTests
{
    [Theory]
    [InlineData("/v1/items", "/v1/items")]
    [InlineData("/v1/items/{sku}", "/v1/items/{sku}")]
    [InlineData("/v1/items/{item.sku}", "/v1/items/{item_sku}")]
    [InlineData("/v1/{name=shelves/*}", "/v1/shelves/{name_2}")]
    [InlineData("/v1/{name=shelves/*/books/*}", "/v1/shelves/{name_2}/books/{name_4}")]
    [InlineData("/v1/{name=files/**}", "/v1/files/{**name_2}")]
    [InlineData("/v1/items/{sku}:check", "/v1/items/{sku}:check")]
    [InlineData("/v1/items:batchGet", "/v1/items:batchGet")]
    [InlineData("/v1/*/items", "/v1/{_1}/items")]
    [InlineData("/static/**", "/static/{**_1}")]
    public void TryConvert_ValidTemplate_GivesRoutePattern(string template, string expected)
    {
        HttpRuleTemplate.TryConvert(template, out var result, out var error).ShouldBeTrue(error);

        result!.RoutePattern.ShouldBe(expected);
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(result.RoutePattern).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("v1/items", "must start with '/'")]
    [InlineData("/v1/{sku", "unbalanced")]
    [InlineData("/v1/{a={b}}", "cannot nest")]
    [InlineData("/v1/**/items", "'**' must be the last segment")]
    [InlineData("/v1/{name=a/**}/x", "'**' must be the last segment")]
    [InlineData("/v1/{name=**}:go", "after '**'")]
    [InlineData("/v1//items", "empty segment")]
    [InlineData("/v1/items/", "empty segment")]
    [InlineData("/v1/{1abc}", "not a field path")]
    [InlineData("/v1/{a}/{a}", "bound twice")]
    [InlineData("/v1/it?ems", "not a literal segment")]
    public void TryConvert_InvalidTemplate_SaysWhy(string template, string reason)
    {
        HttpRuleTemplate.TryConvert(template, out var result, out var error).ShouldBeFalse();

        result.ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain(reason);
    }

    [Fact]
    public void Variables_MultiSegment_ComposeFieldValueFromLiteralsAndCaptures()
    {
        HttpRuleTemplate.TryConvert("/v1/{name=shelves/*/books/*}/{id}", out var result, out _).ShouldBeTrue();
        var values = new Dictionary<string, string> { ["name_2"] = "s1", ["name_4"] = "b9", ["id"] = "42" };

        result!.Variables.Select(v => v.FieldPath).ShouldBe(["name", "id"]);
        result.Variables[0].Compose(n => values.GetValueOrDefault(n)).ShouldBe("shelves/s1/books/b9");
        result.Variables[1].Compose(n => values.GetValueOrDefault(n)).ShouldBe("42");
    }

    [Fact]
    public void Variables_EmptyCatchAll_LeavesNoTrailingSlash()
    {
        HttpRuleTemplate.TryConvert("/v1/{path=files/**}", out var result, out _).ShouldBeTrue();

        result!.Variables[0].Compose(_ => "").ShouldBe("files");
        result.Variables[0].Compose(_ => "a/b.txt").ShouldBe("files/a/b.txt");
    }
}

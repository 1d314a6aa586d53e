using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Routing;
using static Portico.Tests.Routing.Routes;

namespace Portico.Tests.Routing;

public sealed class RouteConditionsTests
{
    static HttpRequest Request(string? accept = null, string? query = null, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        if (accept is not null) context.Request.Headers.Accept = accept;
        if (query is not null) context.Request.QueryString = new QueryString(query);
        foreach (var (name, value) in headers) context.Request.Headers.Append(name, value);
        return context.Request;
    }

    static RouteConditions Accepting(params string[] types) => new(Route("r", 0, "/x", accept: types).Match);

    [Theory]
    [InlineData("application/vnd.portico.v2+json")]
    [InlineData("APPLICATION/VND.PORTICO.V2+JSON")]
    [InlineData("text/html, application/vnd.portico.v2+json")]
    [InlineData("application/json;q=0.9, application/vnd.portico.v2+json;q=0.5")]
    [InlineData("application/vnd.portico.v2+json; charset=utf-8")]
    [InlineData("application/vnd.portico.v2+json;q=0.001")]
    [InlineData("application/vnd.portico.v2+json ; Q=1")]
    public void Matches_AcceptListsMediaType_True(string accept)
    {
        Accepting("application/vnd.portico.v2+json").Matches(Request(accept)).ShouldBeTrue();
    }

    [Theory]
    [InlineData("application/vnd.portico.v2+json;q=0")]
    [InlineData("application/vnd.portico.v2+json; q=0.0")]
    [InlineData("application/json, application/vnd.portico.v2+json;q=0")]
    [InlineData("application/json")]
    [InlineData("*/*")]
    [InlineData("application/vnd.portico.v2+jsonx")]
    [InlineData("")]
    public void Matches_AcceptWithoutMediaTypeOrWithQZero_False(string accept)
    {
        Accepting("application/vnd.portico.v2+json").Matches(Request(accept)).ShouldBeFalse();
    }

    [Fact]
    public void Matches_NoAcceptHeader_False()
    {
        Accepting("application/vnd.portico.v2+json").Matches(Request()).ShouldBeFalse();
    }

    [Fact]
    public void Matches_AcceptInSeveralHeaderLines_True()
    {
        var request = Request();
        request.Headers.Append("Accept", "text/html");
        request.Headers.Append("Accept", "application/vnd.portico.v2+json");

        Accepting("application/vnd.portico.v2+json").Matches(request).ShouldBeTrue();
    }

    [Theory]
    [InlineData("2", true)]
    [InlineData(" 2 ", true)]
    [InlineData("3", false)]
    public void Matches_HeaderValueCondition(string value, bool expected)
    {
        var conditions = new RouteConditions(Route("r", 0, "/x", headers: [new ValueCondition("Api-Version", ["2"])]).Match);

        conditions.Matches(Request(headers: ("Api-Version", value))).ShouldBe(expected);
    }

    [Fact]
    public void Matches_HeaderConditionHeaderMissing_False()
    {
        var conditions = new RouteConditions(Route("r", 0, "/x", headers: [new ValueCondition("Api-Version", ["2"])]).Match);

        conditions.Matches(Request()).ShouldBeFalse();
    }

    [Theory]
    [InlineData("?beta=1", true)]
    [InlineData("?q=a&beta=1", true)]
    [InlineData("?beta=0", false)]
    [InlineData("?other=1", false)]
    public void Matches_QueryValueCondition(string query, bool expected)
    {
        var conditions = new RouteConditions(Route("r", 0, "/x", query: [new ValueCondition("beta", ["1"])]).Match);

        conditions.Matches(Request(query: query)).ShouldBe(expected);
    }

    [Theory]
    [InlineData("?debug=anything", true)]
    [InlineData("?debug=", true)]
    [InlineData("?other=1", false)]
    public void Matches_QueryPresenceCondition(string query, bool expected)
    {
        var conditions = new RouteConditions(Route("r", 0, "/x", query: [new ValueCondition("debug", [])]).Match);

        conditions.Matches(Request(query: query)).ShouldBe(expected);
    }

    [Fact]
    public void IsEmpty_MethodsAndHostsOnly_True()
    {
        new RouteConditions(Route("r", 0, "/x", methods: ["GET"], hosts: ["a.example"]).Match).IsEmpty.ShouldBeTrue();
    }
}

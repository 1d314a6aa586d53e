using Portico.Configuration;
using Portico.Routing;
using static Portico.Tests.Routing.Routes;

namespace Portico.Tests.Routing;

public sealed class RoutePrecedenceTests
{
    static string[] Names(IEnumerable<RouteDefinition> routes) => RoutePrecedence.Sort(routes).Select(r => r.Name).ToArray();

    [Fact]
    public void Sort_SameDepth_LiteralBeforeParameterBeforeCatchAll()
    {
        var routes = new[]
        {
            Route("catch-all", 0, "/files/{**rest}"),
            Route("parameter", 1, "/files/{name}"),
            Route("literal", 2, "/files/readme"),
        };

        Names(routes).ShouldBe(["literal", "parameter", "catch-all"]);
    }

    [Fact]
    public void Sort_RootCatchAll_ComesLastWhateverItsFilePosition()
    {
        var routes = new[]
        {
            Route("legacy", 0, "/{**rest}"),
            Route("users", 1, "/api/users/{id}"),
            Route("health", 2, "/status"),
        };

        Names(routes).Last().ShouldBe("legacy");
    }

    [Fact]
    public void Sort_ConstrainedParameter_BeforePlainParameter()
    {
        var routes = new[] { Route("plain", 0, "/items/{id}"), Route("numeric", 1, "/items/{id:int}") };

        Names(routes).ShouldBe(["numeric", "plain"]);
    }

    [Fact]
    public void Sort_ExplicitOrder_BeatsSpecificity()
    {
        var routes = new[]
        {
            Route("specific", 0, "/reports/daily"),
            Route("ordered-catch-all", 1, "/reports/{**rest}", order: -1),
            Route("late", 2, "/reports/weekly", order: 5),
        };

        Names(routes).ShouldBe(["ordered-catch-all", "specific", "late"]);
    }

    [Fact]
    public void Sort_SamePath_MoreConditionsFirst()
    {
        var routes = new[]
        {
            Route("default", 0, "/api/users/{id}"),
            Route("v2", 1, "/api/users/{id}", headers: [new ValueCondition("Api-Version", ["2"])]),
            Route("v2-get", 2, "/api/users/{id}", methods: ["GET"], headers: [new ValueCondition("Api-Version", ["2"])]),
        };

        Names(routes).ShouldBe(["v2-get", "v2", "default"]);
    }

    [Fact]
    public void Sort_EverythingEqual_KeepsFileOrder()
    {
        var routes = new[]
        {
            Route("b", 0, "/x/{id}", methods: ["GET"]),
            Route("a", 1, "/x/{id}", methods: ["POST"]),
        };

        Names(routes).ShouldBe(["b", "a"]);
    }

    [Fact]
    public void Sort_LiteralSegmentAfterParameter_BeforeParameterAtThatPosition()
    {
        var routes = new[] { Route("two-params", 0, "/users/{id}/{section}"), Route("literal-tail", 1, "/users/{id}/orders") };

        Names(routes).ShouldBe(["literal-tail", "two-params"]);
    }
}

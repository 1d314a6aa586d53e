using Portico.Aggregation;
using Portico.Configuration;
using Portico.Tests.Configuration;

namespace Portico.Tests.Aggregation;

public sealed class AggregationConfigTests
{
    const string Services = """
        services:
          users: { urls: [http://127.0.0.1:5101] }
          credits: { urls: [http://127.0.0.1:5201] }
        routes:
        """;

    static string Route(string aggregate) => Services + "\n  - name: profile\n    match: { path: \"/api/profile/{id}\" }\n    aggregate:\n" + aggregate;

    [Fact]
    public void Load_AggregateRoute_BindsPartsWithDefaults()
    {
        var config = TestConfig.LoadValid(Route("""
                  deadline: 2s
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    credit: { service: credits, path: "/credits/{user.creditAccount}", optional: true, timeout: 500ms }
            """));

        var aggregate = config.Routes[0].Aggregate.ShouldNotBeNull();
        aggregate.Shape.ShouldBe(AggregateShape.Nested);
        aggregate.Deadline.ShouldBe(TimeSpan.FromSeconds(2));
        aggregate.MaxResponseSize.ShouldBe(AggregateDefinition.DefaultMaxResponseSize);
        aggregate.Parts.Select(p => p.Name).ShouldBe(["user", "credit"]);
        var credit = aggregate.Parts[1];
        credit.Method.ShouldBe("GET");
        credit.Optional.ShouldBeTrue();
        credit.Timeout.ShouldBe(TimeSpan.FromMilliseconds(500));
        aggregate.Parts[0].Optional.ShouldBeFalse();
    }

    [Fact]
    public void Compile_ChainedParts_OrdersThemInStages()
    {
        var config = TestConfig.LoadValid(Route("""
                  parts:
                    credit: { service: credits, path: "/credits/{user.creditAccount}" }
                    user: { service: users, path: "/users/{id}" }
                    prefs: { service: users, path: "/prefs/{id}" }
            """));

        var plan = AggregationPlan.Compile(config.Routes[0].Aggregate!, "routes[0]", new HashSet<string> { "id" }, (_, m, _) => throw new InvalidOperationException(m))!;

        plan.Stages.Select(s => s.Select(p => p.Name).ToArray()).ShouldBe([["user", "prefs"], ["credit"]]);
        plan.Parts[0].Dependencies.ShouldBe([1]);
    }

    [Fact]
    public void Load_PartsInACycle_ReportsTheCycleAtThePart()
    {
        var yaml = Route("""
                  parts:
                    a: { service: users, path: "/a/{b.x}" }
                    b: { service: users, path: "/b/{a.y}" }
            """);

        var error = TestConfig.Errors(yaml).ErrorAt("routes[0].aggregate.parts.a");

        error.Message.ShouldBe("parts depend on each other in a cycle: a → b → a");
        error.Location!.Value.Line.ShouldBe(TestConfig.LineOf(yaml, "a: { service"));
    }

    [Fact]
    public void Load_UnknownPartReference_SuggestsTheClosestName()
    {
        var yaml = Route("""
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    credit: { service: credits, path: "/credits/{usr.creditAccount}" }
            """);

        var error = TestConfig.Errors(yaml).ErrorAt("routes[0].aggregate.parts.credit.path");

        error.Message.ShouldBe("'{usr.creditAccount}' is neither a route value nor a part");
        error.Hint.ShouldBe("did you mean 'user'?");
        error.Location!.Value.Line.ShouldBe(TestConfig.LineOf(yaml, "credit: {"));
    }

    [Fact]
    public void Load_ItemWithoutForEach_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  parts:
                    user: { service: users, path: "/users/{item.id}" }
            """));

        errors.ErrorAt("routes[0].aggregate.parts.user.path").Message.ShouldBe("'{item.id}' is only available in a part with forEach");
    }

    [Fact]
    public void Load_ForEachOfUnknownPart_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    orders: { service: users, path: "/orders/{item}", forEach: usr.orders }
            """));

        errors.ErrorAt("routes[0].aggregate.parts.orders.forEach").Hint.ShouldBe("did you mean 'user'?");
    }

    [Fact]
    public void Load_AggregateWithServiceAndUnknownPartService_ReportsBoth()
    {
        var errors = TestConfig.Errors(Services + """

              - name: profile
                match: { path: "/api/profile/{id}" }
                service: users
                aggregate:
                  parts:
                    user: { service: user, path: "/users/{id}" }
            """);

        errors.ErrorAt("routes[0]").Message.ShouldBe("the route has both 'service' and 'aggregate'");
        errors.ErrorAt("routes[0].aggregate.parts.user.service").Hint.ShouldBe("did you mean 'users'?");
    }

    [Fact]
    public void Load_UnknownPartKey_SuggestsTheKnownOne()
    {
        var errors = TestConfig.Errors(Route("""
                  parts:
                    user: { service: users, path: "/users/{id}", optinal: true }
            """));

        errors.ErrorAt("routes[0].aggregate.parts.user.optinal").Hint.ShouldBe("did you mean 'optional'?");
    }

    [Fact]
    public void Load_PartNamedLikeARouteValue_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  parts:
                    id: { service: users, path: "/users/1" }
            """));

        errors.ErrorAt("routes[0].aggregate.parts.id").Message.ShouldBe("part 'id' has the name of a route value");
    }
}

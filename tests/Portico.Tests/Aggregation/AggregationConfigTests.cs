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

    /// The plan of the first route's aggregate, whose path captures {id}; any compile error fails the test.
    static AggregationPlan CompileValid(PorticoConfig config) =>
        AggregationPlan.Compile(((AggregateDefinition)config.Routes[0].Kind!), "routes[0]", new HashSet<string> { "id" }, (_, m, _) => throw new InvalidOperationException(m))!;

    [Fact]
    public void Load_AggregateRoute_BindsPartsWithDefaults()
    {
        var config = TestConfig.LoadValid(Route("""
                  deadline: 2s
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    credit: { service: credits, path: "/credits/{user.creditAccount}", optional: true, timeout: 500ms }
            """));

        var aggregate = config.Routes[0].Kind.ShouldBeOfType<AggregateDefinition>();
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

        var plan = CompileValid(config);

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

    [Fact]
    public void Load_ClientInputInAPathOrABadHeaderReference_AreErrorsWithHints()
    {
        var errors = TestConfig.Errors(Route("""
                  parts:
                    user: { service: users, path: "/users/{query.id}", headers: { X-A: "{header.bad name}" } }
                    query: { service: users, path: "/q" }
            """));

        var path = errors.ErrorAt("routes[0].aggregate.parts.user.path");
        path.Message.ShouldBe("'{query.id}' is client input, which a path cannot use");
        path.Hint!.ShouldContain("query or headers");
        errors.ErrorAt("routes[0].aggregate.parts.user.headers.X-A").Message.ShouldBe("'{header.bad name}': 'bad name' is not a valid header name");
        errors.ErrorAt("routes[0].aggregate.parts.query").Message.ShouldBe("'query' is not a valid part name");
    }

    [Fact]
    public void Compile_ClientQueryAndHeaderReferences_AddNoDependencies()
    {
        var config = TestConfig.LoadValid(Route("""
                  parts:
                    user: { service: users, path: "/users/{id}", query: { lang: "{query.lang}", page: "p{query.page.size}" }, headers: { Accept-Language: "{header.Accept-Language}" } }
            """));

        var plan = CompileValid(config);

        var user = plan.Parts.ShouldHaveSingleItem();
        user.Dependencies.ShouldBeEmpty();
        user.Query[0].Value.Only!.Source.ShouldBe(ReferenceSource.Query);
        user.Query[0].Value.Only!.Name.ShouldBe("lang");
        user.Query[1].Value.Only.ShouldBeNull();
        user.Query[1].Value.References.ShouldHaveSingleItem().Name.ShouldBe("page.size");
        user.Headers[0].Value.Only!.Source.ShouldBe(ReferenceSource.Header);
        user.Headers[0].Value.Only!.Name.ShouldBe("Accept-Language");
    }

    [Fact]
    public void Load_CachedAggregateReadingClientInputOutsideItsCacheKey_IsAnError()
    {
        var yaml = """
            services:
              users: { urls: [http://127.0.0.1:5101] }
            cachePolicies:
              narrow: { ttl: 1m, vary: [Accept], query: [page] }
              wide: { ttl: 1m, vary: [accept-language] }
            routes:
              - name: profile
                match: { path: "/api/profile/{id}" }
                cache: narrow
                aggregate:
                  parts:
                    user: { service: users, path: "/users/{id}", query: { lang: "{query.lang}", page: "{query.page}" }, headers: { Accept-Language: "{header.Accept-Language}" } }
              - name: covered
                match: { path: "/api/other/{id}" }
                cache: wide
                aggregate:
                  parts:
                    user: { service: users, path: "/users/{id}", query: { lang: "{query.lang}" }, headers: { Accept-Language: "{header.Accept-Language}" } }
            """;

        var errors = TestConfig.Errors(yaml);

        var query = errors.ErrorAt("routes[0].aggregate.parts.user.query.lang");
        query.Message.ShouldBe("'{query.lang}' is not in the key of cache policy 'narrow'");
        query.Hint!.ShouldStartWith("add lang to cachePolicies.narrow.query");
        errors.ErrorAt("routes[0].aggregate.parts.user.headers.Accept-Language").Hint!.ShouldStartWith("add Accept-Language to cachePolicies.narrow.vary");
        errors.ShouldNotContain(e => e.Path.StartsWith("routes[1]", StringComparison.Ordinal) || e.Path.EndsWith(".page", StringComparison.Ordinal));
    }
}

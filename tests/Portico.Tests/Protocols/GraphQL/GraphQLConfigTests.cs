using System.Security.Cryptography;
using System.Text;
using Portico.Protocols.GraphQL;
using Portico.Tests.Configuration;

namespace Portico.Tests.Protocols.GraphQL;

public sealed class GraphQLConfigTests
{
    static string Route(string graphql, string service = "catalog") => $$"""
        services:
          catalog: { protocol: graphql, urls: [http://127.0.0.1:5401/graphql] }
          users: { urls: [http://127.0.0.1:5101] }
        routes:
          - name: product
            match: { path: "/api/products/{id}" }
            service: {{service}}
            graphql:
        {{graphql}}
        """;

    [Fact]
    public void Load_GraphQLRoute_BindsAndCompilesTheOperation()
    {
        var config = TestConfig.LoadValid(Route("""
                  query: "query Product($id: ID!, $tags: [String!] = []) { product(id: $id) { id name } }"
                  operationName: Product
                  select: product
            """));

        var definition = config.Routes[0].Kind.ShouldBeOfType<GraphQLRouteDefinition>();
        config.Services[0].Protocol.ShouldBe("graphql");
        var operation = GraphQLOperation.Compile(definition, (_, message, _) => throw new InvalidOperationException(message))!;
        operation.Variables.Select(v => (v.Name, v.Type.ToString(), v.HasDefault)).ShouldBe([("id", "ID!", false), ("tags", "[String!]", true)]);
        operation.Select.ShouldBe(["product"]);
        operation.IsMutation.ShouldBeFalse();
        operation.Hash.ShouldBeNull();
    }

    [Fact]
    public void Load_QuerySyntaxError_IsLocatedAtTheQueryWithTheGraphQLLineAndColumn()
    {
        var yaml = Route("""
                  query: |
                    query($id: ID!) {
                      product(id: $id) { id name
                    }
            """);

        var error = TestConfig.Errors(yaml).ErrorAt("routes[0].graphql.query");

        error.Message.ShouldStartWith("GraphQL syntax error at 3:2 of the query: Expected Name, found EOF");
        error.Location!.Value.Line.ShouldBe(TestConfig.LineOf(yaml, "query: |"));
    }

    [Fact]
    public void Load_UndeclaredVariable_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  query: "query($id: ID!) { product(id: $id) { id reviews(first: $count) { text } } }"
            """));

        errors.ErrorAt("routes[0].graphql.query").Message.ShouldBe("variable '$count' is used but not declared");
    }

    [Fact]
    public void Load_UndeclaredVariableInASpreadFragment_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  query: "query { product(id: 1) { ...Parts } } fragment Parts on Product { reviews(first: $count) { text } }"
            """));

        errors.ErrorAt("routes[0].graphql.query").Message.ShouldBe("variable '$count' is used but not declared");
    }

    [Fact]
    public void Load_SeveralOperationsWithoutOperationName_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  query: "query A { a } query B { b }"
            """));

        errors.ErrorAt("routes[0].graphql.operationName").Message.ShouldBe("the document has 2 operations: say which one the route runs");
    }

    [Fact]
    public void Load_UnknownOperationName_SuggestsTheClosest()
    {
        var errors = TestConfig.Errors(Route("""
                  query: "query Product { a } query Products { b }"
                  operationName: Prodcut
            """));

        errors.ErrorAt("routes[0].graphql.operationName").Hint.ShouldBe("did you mean 'Product'?");
    }

    [Fact]
    public void Load_Subscription_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  query: "subscription { priceChanged { id } }"
            """));

        errors.ErrorAt("routes[0].graphql.query").Message.ShouldBe("a subscription cannot answer a REST request");
    }

    [Fact]
    public void Load_SelectOfAFieldNotSelected_SuggestsTheClosest()
    {
        var errors = TestConfig.Errors(Route("""
                  query: "query($id: ID!) { item: product(id: $id) { id } }"
                  select: itme
            """));

        errors.ErrorAt("routes[0].graphql.select").Hint.ShouldBe("did you mean 'item'?");
    }

    [Fact]
    public void Load_PersistedQueryTrue_HashesTheQuery()
    {
        const string query = "query($id: ID!) { product(id: $id) { id } }";
        var config = TestConfig.LoadValid(Route($"""
                  query: "{query}"
                  persistedQuery: true
            """));

        var operation = GraphQLOperation.Compile((GraphQLRouteDefinition)config.Routes[0].Kind!, (_, message, _) => throw new InvalidOperationException(message))!;

        operation.Hash.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(query))));
    }

    [Fact]
    public void Load_PersistedQueryHashNotOfTheQuery_IsAnErrorGivingTheRightHash()
    {
        var errors = TestConfig.Errors(Route($"""
                  query: "{"{ a }"}"
                  persistedQuery: {new string('a', 64)}
            """));

        var error = errors.ErrorAt("routes[0].graphql.persistedQuery");
        error.Message.ShouldBe("the hash is not the SHA-256 of the query");
        error.Hint.ShouldNotBeNull().ShouldContain(Convert.ToHexStringLower(SHA256.HashData("{ a }"u8)));
    }

    [Fact]
    public void Load_HashOnlyWithVariables_TypesThemFromTheDeclarations()
    {
        var config = TestConfig.LoadValid(Route($$"""
                  persistedQuery: {{new string('b', 64)}}
                  variables: { id: "ID!", limit: Int }
            """));

        var operation = GraphQLOperation.Compile((GraphQLRouteDefinition)config.Routes[0].Kind!, (_, message, _) => throw new InvalidOperationException(message))!;

        operation.Query.ShouldBeNull();
        operation.Variables.Select(v => v.Type.ToString()).ShouldBe(["ID!", "Int"]);
    }

    [Fact]
    public void Load_VariableDeclarationThatIsNoType_IsAnError()
    {
        var errors = TestConfig.Errors(Route($$"""
                  persistedQuery: {{new string('b', 64)}}
                  variables: { id: "ID!!" }
            """));

        errors.ErrorAt("routes[0].graphql.variables.id").Message.ShouldBe("'ID!!' is not a GraphQL type");
    }

    [Fact]
    public void Load_NeitherQueryNorPersistedQuery_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  select: product
            """));

        errors.ErrorAt("routes[0].graphql.query").Message.ShouldBe("'query' is required");
    }

    [Fact]
    public void Load_GraphQLRouteToAnHttpService_IsAnError()
    {
        var errors = TestConfig.Errors(Route("""
                  query: "{ a }"
            """, service: "users"));

        errors.ErrorAt("routes[0].graphql").Message.ShouldBe("service 'users' is not a GraphQL service");
    }

    [Fact]
    public void Load_RouteToAGraphQLServiceWithoutOperation_IsAnError()
    {
        var errors = TestConfig.Errors("""
            services:
              catalog: { protocol: graphql, urls: [http://127.0.0.1:5401/graphql] }
            routes:
              - { name: passthrough, match: { path: /graphql }, service: catalog }
            """);

        errors.ErrorAt("routes[0]").Message.ShouldBe("service 'catalog' speaks GraphQL: the route must hold its operation");
    }
}

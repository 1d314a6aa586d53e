using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Portico.Protocols.GraphQL;

namespace Portico.Tests.Protocols.GraphQL;

public sealed class GraphQLVariablesTests
{
    static IReadOnlyList<VariablePlan> Declare(string declarations)
    {
        var definition = new GraphQLRouteDefinition($"query({declarations}) {{ a }}", null, null, null, []);
        return GraphQLOperation.Compile(definition, (_, message, _) => throw new InvalidOperationException(message))!.Variables;
    }

    static JsonObject Bind(string declarations, Dictionary<string, string?>? path = null, Dictionary<string, StringValues>? query = null, string? body = null) =>
        GraphQLVariables.Bind(Declare(declarations), new RouteValueDictionary(path ?? []), new QueryCollection(query ?? []), body is null ? null : JsonNode.Parse(body)!.AsObject());

    [Fact]
    public void Bind_PathAndQueryText_IsCoercedToTheDeclaredScalars()
    {
        var variables = Bind("$id: ID!, $limit: Int, $price: Float, $active: Boolean, $name: String, $sort: Order",
            path: new() { ["id"] = "42" },
            query: new() { ["limit"] = "10", ["price"] = "2.5", ["active"] = "true", ["name"] = "cup", ["sort"] = "PRICE", ["unused"] = "x" });

        variables.ToJsonString().ShouldBe("""{"id":"42","limit":10,"price":2.5,"active":true,"name":"cup","sort":"PRICE"}""");
    }

    [Fact]
    public void Bind_ListFromRepeatedQueryParameter_IsAListOfCoercedItems()
    {
        var variables = Bind("$ids: [Int!]!, $one: [String]", query: new() { ["ids"] = new(["1", "2"]), ["one"] = "a" });

        variables.ToJsonString().ShouldBe("""{"ids":[1,2],"one":["a"]}""");
    }

    [Fact]
    public void Bind_PathWinsOverQueryWhichWinsOverBody()
    {
        var variables = Bind("$id: ID, $q: String, $b: String", path: new() { ["id"] = "path" }, query: new() { ["id"] = "query", ["q"] = "query" },
            body: """{"id":"body","q":"body","b":"body"}""");

        variables.ToJsonString().ShouldBe("""{"id":"path","q":"query","b":"body"}""");
    }

    [Fact]
    public void Bind_BodyInputObject_PassesAsGiven()
    {
        var variables = Bind("$input: ProductInput!", body: """{"input":{"name":"Scale","price":30,"tags":["x"]},"other":1}""");

        variables.ToJsonString().ShouldBe("""{"input":{"name":"Scale","price":30,"tags":["x"]}}""");
    }

    [Theory]
    [InlineData("$n: Int", """{"n":"5"}""", "n")]
    [InlineData("$n: Int", """{"n":1.5}""", "n")]
    [InlineData("$n: Int", """{"n":3000000000}""", "n")]
    [InlineData("$s: String", """{"s":5}""", "s")]
    [InlineData("$b: Boolean", """{"b":"true"}""", "b")]
    [InlineData("$f: Float", """{"f":"1.0"}""", "f")]
    [InlineData("$i: ID", """{"i":{"a":1}}""", "i")]
    [InlineData("$l: [Int!]", """{"l":[1,null]}""", "l")]
    [InlineData("$l: [Int]", """{"l":[1,"2"]}""", "l")]
    [InlineData("$r: String!", """{"r":null}""", "r")]
    [InlineData("$r: String!", """{}""", "r")]
    public void Bind_BodyValueThatDoesNotFit_NamesTheVariable(string declarations, string body, string variable)
    {
        var ex = Should.Throw<VariableException>(() => Bind(declarations, body: body));

        ex.Variable.ShouldBe(variable);
        ex.Message.ShouldContain($"'{variable}'");
    }

    [Fact]
    public void Bind_MissingNonNullWithDefault_IsLeftToTheService()
    {
        Bind("$limit: Int! = 10").Count.ShouldBe(0);
    }

    [Fact]
    public void Bind_AnyIntText_RoundTripsAndAnyOtherTextIsRefused()
    {
        Gen.Int.Sample(i => Bind("$n: Int!", query: new() { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) })["n"]!.GetValue<int>() == i);
        Gen.String.Where(s => !int.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
            .Sample(s => Throws(() => Bind("$n: Int!", query: new() { ["n"] = s })));
    }

    static bool Throws(Action action)
    {
        try
        {
            action();
            return false;
        }
        catch (VariableException)
        {
            return true;
        }
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Portico.Protocols.GraphQL;

/// A variable whose value does not fit its declared type; answered 400 naming the variable.
internal sealed class VariableException(string variable, string message) : Exception(message)
{
    public string Variable { get; } = variable;
}

/// Builds an operation's `variables` from a request: each declared variable from the path, else the query
/// string, else the JSON body's member of the same name. Text from the path and query is coerced to the declared
/// scalar (Int, Float, Boolean; ID and String stay strings); body values must already have the declared JSON
/// type. Enums, custom scalars and input objects are not known without the schema: they pass as given.
internal static class GraphQLVariables
{
    public static JsonObject Bind(IReadOnlyList<VariablePlan> plans, RouteValueDictionary routeValues, IQueryCollection query, JsonObject? body)
    {
        var variables = new JsonObject();
        foreach (var plan in plans)
        {
            if (routeValues.TryGetValue(plan.Name, out var routeValue) && routeValue is string text)
                variables[plan.Name] = FromText(plan.Name, new StringValues(text), plan.Type);
            else if (query.TryGetValue(plan.Name, out var values) && values.Count > 0)
                variables[plan.Name] = FromText(plan.Name, values, plan.Type);
            else if (body is not null && body.TryGetPropertyValue(plan.Name, out var value))
            {
                Check(plan.Name, value, plan.Type);
                body.Remove(plan.Name);
                variables[plan.Name] = value;
            }
            else if (plan.Type.NonNull && !plan.HasDefault) throw new VariableException(plan.Name, $"variable '{plan.Name}' ({plan.Type}) is required");
        }
        return variables;
    }

    /// Path or query text to the declared type: several values only for a list, one value for a list becomes a
    /// one-item list.
    static JsonNode? FromText(string name, StringValues values, VariableType type)
    {
        if (type.IsList) return new JsonArray([.. values.Select(v => Scalar(name, v ?? "", type.Item!))]);
        if (values.Count > 1) throw new VariableException(name, $"variable '{name}' ({type}) takes one value, got {values.Count}");
        return Scalar(name, values[0] ?? "", type);
    }

    static JsonNode? Scalar(string name, string text, VariableType type)
    {
        if (type.IsList) return new JsonArray(Scalar(name, text, type.Item!));
        switch (type.Name)
        {
            case "Int":
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return JsonValue.Create(i);
                throw new VariableException(name, $"variable '{name}' ({type}): '{text}' is not an Int (a whole number from -2147483648 to 2147483647)");
            case "Float":
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
                throw new VariableException(name, $"variable '{name}' ({type}): '{text}' is not a Float");
            case "Boolean":
                if (text is "true" or "false") return JsonValue.Create(text == "true");
                throw new VariableException(name, $"variable '{name}' ({type}): '{text}' is not a Boolean (true or false)");
            default:
                return JsonValue.Create(text);
        }
    }

    /// A body value against the declared type; a single value for a list type is checked as one item (GraphQL
    /// input coercion accepts it).
    static void Check(string name, JsonNode? value, VariableType type)
    {
        if (value is null)
        {
            if (type.NonNull) throw new VariableException(name, $"variable '{name}' ({type}) must not be null");
            return;
        }
        if (type.IsList)
        {
            if (value is JsonArray items) foreach (var item in items) Check(name, item, type.Item!);
            else Check(name, value, type.Item!);
            return;
        }
        var kind = value.GetValueKind();
        var fits = type.Name switch
        {
            "ID" => kind == JsonValueKind.String || (kind == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out _)),
            "String" => kind == JsonValueKind.String,
            "Int" => kind == JsonValueKind.Number && value.AsValue().TryGetValue<int>(out _),
            "Float" => kind == JsonValueKind.Number,
            "Boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            _ => true,
        };
        if (!fits) throw new VariableException(name, $"variable '{name}' ({type}): {Describe(value, kind)} is not {Article(type.Name!)}");
    }

    static string Describe(JsonNode value, JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        _ => value.ToJsonString(),
    };

    static string Article(string name) => name is "ID" or "Int" ? $"an {name}" : $"a {name}";
}

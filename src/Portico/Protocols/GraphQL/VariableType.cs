using GraphQLParser.AST;

namespace Portico.Protocols.GraphQL;

/// A variable's declared type: a named type, a list of a type, each possibly non-null (`[ID!]!`).
internal sealed class VariableType
{
    VariableType(string? name, VariableType? item, bool nonNull)
    {
        Name = name;
        Item = item;
        NonNull = nonNull;
    }

    /// The named type (ID, String, an enum, an input object…); null for a list.
    public string? Name { get; }
    /// The item type of a list; null for a named type.
    public VariableType? Item { get; }
    public bool NonNull { get; }
    public bool IsList => Item is not null;

    internal static VariableType From(GraphQLType type) => type switch
    {
        GraphQLNonNullType nonNull => From(nonNull.Type).AsNonNull(),
        GraphQLListType list => new VariableType(null, From(list.Type), false),
        GraphQLNamedType named => new VariableType(named.Name.StringValue, null, false),
        _ => throw new InvalidOperationException($"unexpected GraphQL type node {type.Kind}"),
    };

    VariableType AsNonNull() => new(Name, Item, nonNull: true);

    public override string ToString() => (IsList ? $"[{Item}]" : Name!) + (NonNull ? "!" : "");
}

/// A variable the operation declares, as the route binds it from path, query and body.
/// <param name="HasDefault">The declaration has a default value, so the variable may be left out even when non-null.</param>
internal sealed record VariablePlan(string Name, VariableType Type, bool HasDefault);

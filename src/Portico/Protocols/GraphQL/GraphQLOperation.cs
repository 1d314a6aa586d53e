using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using GraphQLParser.Visitors;
using Portico.Configuration;

namespace Portico.Protocols.GraphQL;

/// A route's GraphQL operation, checked and compiled once at config load with GraphQL.NET's parser: the
/// document text, the operation's declared variables, the persisted-query hash and the `select` path.
internal sealed class GraphQLOperation
{
    /// Reports a problem under the route's `graphql` key: sub-path (e.g. "query"), message, hint.
    public delegate void ErrorSink(string key, string message, string? hint);

    GraphQLOperation(string? query, string? operationName, string? hash, bool isMutation, IReadOnlyList<VariablePlan> variables, string[] select)
    {
        Query = query is null ? null : JsonEncodedText.Encode(query);
        OperationName = operationName is null ? null : JsonEncodedText.Encode(operationName);
        Hash = hash;
        IsMutation = isMutation;
        Variables = variables;
        Select = select;
    }

    /// The document, JSON-encoded once; null for a hash-only persisted query.
    public JsonEncodedText? Query { get; }
    public JsonEncodedText? OperationName { get; }
    /// SHA-256 of the document (hex, lowercase), sent in `extensions.persistedQuery`; null sends the document.
    public string? Hash { get; }
    /// A mutation is never retried; a query may be, like a GET.
    public bool IsMutation { get; }
    public IReadOnlyList<VariablePlan> Variables { get; }
    /// Member names from `data` down to the value the route answers with; empty answers `data` itself.
    public string[] Select { get; }

    /// The plan, or null after reporting every problem found to <paramref name="error"/>.
    public static GraphQLOperation? Compile(GraphQLRouteDefinition definition, ErrorSink error)
    {
        PlanCompilations.Note("graphql operation");
        var failed = false;
        void Fail(string key, string message, string? hint = null)
        {
            failed = true;
            error(key, message, hint);
        }

        string? hash = null;
        if (definition.PersistedQuery is { } persisted)
        {
            if (persisted is "true" or "True" or "yes" or "on")
            {
                if (definition.Query is null) Fail("persistedQuery", "'true' computes the hash of 'query', which the route does not have", "add query: …, or give the hash: persistedQuery: <sha256 in hex>");
                else hash = HashOf(definition.Query);
            }
            else if (persisted.Length == 64 && persisted.All(char.IsAsciiHexDigit))
            {
                hash = persisted.ToLowerInvariant();
                if (definition.Query is { } q && HashOf(q) != hash)
                    Fail("persistedQuery", "the hash is not the SHA-256 of the query", $"the query's hash is {HashOf(q)}; or write persistedQuery: true");
            }
            else Fail("persistedQuery", $"'{persisted}' is not a SHA-256 hash", "64 hex digits, or true to use the hash of the query");
        }

        if (definition.Query is null)
        {
            var declared = new List<VariablePlan>();
            foreach (var (name, typeText) in definition.Variables)
            {
                if (ParseType(typeText) is { } type) declared.Add(new VariablePlan(name, type, false));
                else Fail($"variables.{name}", $"'{typeText}' is not a GraphQL type", "e.g. ID!, String, Int, [String!], ProductInput!");
            }
            var path = SelectPath(definition.Select, Fail);
            return failed ? null : new GraphQLOperation(null, definition.OperationName, hash, false, declared, path);
        }
        if (definition.Variables.Count > 0)
            Fail("variables", "the query declares its variables", "remove 'variables' (it is only for a persisted query given by its hash alone)");

        GraphQLDocument document;
        try
        {
            document = Parser.Parse(definition.Query);
        }
        catch (GraphQLParserException ex)
        {
            Fail("query", $"GraphQL syntax error at {ex.Location.Line}:{ex.Location.Column} of the query: {ex.Description}", "line:column count from the start of the query text");
            return null;
        }

        var operations = document.Definitions.OfType<GraphQLOperationDefinition>().ToList();
        var fragments = document.Definitions.OfType<GraphQLFragmentDefinition>()
            .GroupBy(f => f.FragmentName.Name.StringValue).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        GraphQLOperationDefinition? operation = null;
        var names = operations.Select(o => o.Name?.StringValue).OfType<string>().ToList();
        if (operations.Count == 0) Fail("query", "the document has no query or mutation", "e.g. query: \"query($id: ID!) { product(id: $id) { id name } }\"");
        else if (definition.OperationName is { } wanted)
        {
            operation = operations.FirstOrDefault(o => o.Name?.StringValue == wanted);
            if (operation is null) Fail("operationName", $"the document has no operation '{wanted}'", Suggest.DidYouMean(wanted, names) ?? $"operations: {string.Join(", ", names)}");
        }
        else if (operations.Count > 1) Fail("operationName", $"the document has {operations.Count} operations: say which one the route runs", $"operationName: {names.FirstOrDefault() ?? "…"}");
        else operation = operations[0];
        if (operation is null) return null;

        if (operation.Operation == OperationType.Subscription)
            Fail("query", "a subscription cannot answer a REST request", "use a query or a mutation");

        var variables = new List<VariablePlan>();
        foreach (var v in operation.Variables?.Items ?? [])
        {
            var name = v.Variable.Name.StringValue;
            if (variables.Any(x => x.Name == name)) Fail("query", $"variable '${name}' is declared twice");
            else variables.Add(new VariablePlan(name, VariableType.From(v.Type), v.DefaultValue is not null));
        }
        foreach (var used in UsedVariables(operation, fragments).Where(u => variables.All(v => v.Name != u)))
            Fail("query", $"variable '${used}' is used but not declared", $"declare it in the operation, e.g. query(${used}: String) {{ … }}");

        var select = SelectPath(definition.Select, Fail);
        if (select.Length > 0 && !Selects(operation.SelectionSet, select, fragments))
            Fail("select", $"'{definition.Select}' is not a field the operation selects", Suggest.DidYouMean(select[0], TopFields(operation.SelectionSet)) ?? "name a field (or alias) of the operation, e.g. select: product");
        return failed ? null : new GraphQLOperation(definition.Query, definition.OperationName, hash, operation.Operation == OperationType.Mutation, variables, select);
    }

    static string HashOf(string query) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(query)));

    static VariableType? ParseType(string text)
    {
        try
        {
            var document = Parser.Parse($"query($v: {text}) {{ __typename }}");
            return document.Definitions.OfType<GraphQLOperationDefinition>().Single().Variables!.Items.Single() is { DefaultValue: null } v ? VariableType.From(v.Type) : null;
        }
        catch (GraphQLParserException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    static string[] SelectPath(string? select, Action<string, string, string?> fail)
    {
        if (select is null) return [];
        var parts = select.Split('.');
        if (parts.All(IsName)) return parts;
        fail("select", $"'{select}' is not a path of field names", "field names (or aliases) separated by dots, e.g. select: product or select: product.variants");
        return [];
    }

    static bool IsName(string s) => s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// Whether the operation selects the path; true when fragments make it impossible to tell.
    static bool Selects(GraphQLSelectionSet? set, ReadOnlySpan<string> path, Dictionary<string, GraphQLFragmentDefinition> fragments)
    {
        if (path.IsEmpty) return true;
        if (set is null) return false;
        if (set.Selections.Any(s => s is not GraphQLField)) return true;
        foreach (var field in set.Selections.OfType<GraphQLField>())
        {
            if ((field.Alias?.Name ?? field.Name).StringValue == path[0]) return Selects(field.SelectionSet, path[1..], fragments);
        }
        return false;
    }

    static IEnumerable<string> TopFields(GraphQLSelectionSet set) =>
        set.Selections.OfType<GraphQLField>().Select(f => (f.Alias?.Name ?? f.Name).StringValue);

    /// Variables used by the operation and by the fragments it spreads, transitively.
    static HashSet<string> UsedVariables(GraphQLOperationDefinition operation, Dictionary<string, GraphQLFragmentDefinition> fragments)
    {
        var context = new UsageContext();
        var collector = new UsageCollector();
        collector.VisitAsync(operation, context).AsTask().GetAwaiter().GetResult();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (context.Spreads.Count > 0)
        {
            var name = context.Spreads.Pop();
            if (visited.Add(name) && fragments.TryGetValue(name, out var fragment))
                collector.VisitAsync(fragment, context).AsTask().GetAwaiter().GetResult();
        }
        return context.Variables;
    }

    sealed class UsageContext : IASTVisitorContext
    {
        public HashSet<string> Variables { get; } = new(StringComparer.Ordinal);
        public Stack<string> Spreads { get; } = new();
        public CancellationToken CancellationToken => CancellationToken.None;
    }

    /// Collects `$name` uses (not declarations) and fragment spreads.
    sealed class UsageCollector : ASTVisitor<UsageContext>
    {
        protected override ValueTask VisitVariablesDefinitionAsync(GraphQLVariablesDefinition variablesDefinition, UsageContext context) => default;

        protected override ValueTask VisitVariableAsync(GraphQLVariable variable, UsageContext context)
        {
            context.Variables.Add(variable.Name.StringValue);
            return default;
        }

        protected override ValueTask VisitFragmentSpreadAsync(GraphQLFragmentSpread fragmentSpread, UsageContext context)
        {
            context.Spreads.Push(fragmentSpread.FragmentName.Name.StringValue);
            return base.VisitFragmentSpreadAsync(fragmentSpread, context);
        }
    }
}

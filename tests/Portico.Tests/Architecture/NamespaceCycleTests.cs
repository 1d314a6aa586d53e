using Mono.Cecil;
using Mono.Cecil.Cil;
using Portico.Hosting;

namespace Portico.Tests.Architecture;

/// Each folder of the library is one namespace, and the folders form a layered graph: no folder reaches,
/// directly or through others, back into one that uses it. The check reads the compiled assembly — signatures,
/// attributes and every method body — so a dependency hidden in code, not only in a using, counts.
public sealed class NamespaceCycleTests
{
    [Fact]
    public void No_namespace_reaches_back_into_one_that_uses_it()
    {
        var graph = NamespaceGraph.Read(typeof(PorticoOptions).Assembly.Location);
        var cycles = graph.StronglyConnected().Where(c => c.Count > 1).ToList();

        var report = string.Join("\n\n", cycles.Select(c => graph.Describe(c)));
        Assert.True(cycles.Count == 0, $"namespace cycles:\n{report}");
    }

    [Fact]
    public void The_graph_sees_dependencies_in_method_bodies()
    {
        // A guard on the check itself: Hosting composes everything, so it must be seen reaching Routing and
        // Configuration, and nothing reaches Hosting.
        var graph = NamespaceGraph.Read(typeof(PorticoOptions).Assembly.Location);

        Assert.Contains("Portico.Routing", graph.Edges["Portico.Hosting"].Keys);
        Assert.Contains("Portico.Configuration", graph.Edges["Portico.Hosting"].Keys);
        Assert.DoesNotContain(graph.Edges, e => e.Key != "Portico.Hosting" && e.Value.ContainsKey("Portico.Hosting"));
    }

    sealed class NamespaceGraph
    {
        public Dictionary<string, Dictionary<string, string>> Edges { get; } = new(StringComparer.Ordinal);

        public static NamespaceGraph Read(string path)
        {
            using var module = ModuleDefinition.ReadModule(path);
            var graph = new NamespaceGraph();
            foreach (var type in module.GetTypes())
            {
                var from = NamespaceOf(type);
                if (from is null)
                    continue;
                graph.Edges.TryAdd(from, new Dictionary<string, string>(StringComparer.Ordinal));
                foreach (var used in Uses(type))
                    graph.Add(module, from, type, used);
            }
            return graph;
        }

        void Add(ModuleDefinition module, string from, TypeDefinition user, TypeReference? used)
        {
            foreach (var leaf in Leaves(used))
            {
                if (leaf.Scope is not ModuleDefinition scope || scope != module)
                    continue;
                var definition = leaf.Resolve();
                var to = definition is null ? null : NamespaceOf(definition);
                if (to is null || to == from)
                    continue;
                var edges = Edges[from];
                edges.TryAdd(to, $"{user.FullName} uses {definition!.FullName}");
            }
        }

        /// The namespace a type counts under: nested and compiler-made types count under their outermost type's.
        static string? NamespaceOf(TypeDefinition type)
        {
            while (type.DeclaringType is not null)
                type = type.DeclaringType;
            return type.Namespace.StartsWith("Portico", StringComparison.Ordinal) ? type.Namespace : null;
        }

        static IEnumerable<TypeReference> Leaves(TypeReference? type)
        {
            switch (type)
            {
                case null:
                case GenericParameter:
                    yield break;
                case GenericInstanceType generic:
                    foreach (var leaf in Leaves(generic.ElementType))
                        yield return leaf;
                    foreach (var argument in generic.GenericArguments)
                        foreach (var leaf in Leaves(argument))
                            yield return leaf;
                    yield break;
                case TypeSpecification specification:
                    foreach (var leaf in Leaves(specification.ElementType))
                        yield return leaf;
                    yield break;
                default:
                    yield return type;
                    yield break;
            }
        }

        static IEnumerable<TypeReference?> Uses(TypeDefinition type)
        {
            yield return type.BaseType;
            foreach (var i in type.Interfaces)
                yield return i.InterfaceType;
            foreach (var a in type.CustomAttributes)
                yield return a.AttributeType;
            foreach (var f in type.Fields)
                yield return f.FieldType;
            foreach (var p in type.Properties)
                yield return p.PropertyType;
            foreach (var e in type.Events)
                yield return e.EventType;
            foreach (var g in type.GenericParameters)
                foreach (var c in g.Constraints)
                    yield return c.ConstraintType;
            foreach (var m in type.Methods)
            {
                foreach (var used in Uses(m))
                    yield return used;
                if (!m.HasBody)
                    continue;
                foreach (var v in m.Body.Variables)
                    yield return v.VariableType;
                foreach (var instruction in m.Body.Instructions)
                    foreach (var used in Uses(instruction))
                        yield return used;
            }
        }

        static IEnumerable<TypeReference?> Uses(MethodReference method)
        {
            yield return method.DeclaringType;
            yield return method.ReturnType;
            foreach (var p in method.Parameters)
                yield return p.ParameterType;
            if (method is GenericInstanceMethod generic)
                foreach (var a in generic.GenericArguments)
                    yield return a;
            if (method is MethodDefinition definition)
                foreach (var a in definition.CustomAttributes)
                    yield return a.AttributeType;
        }

        static IEnumerable<TypeReference?> Uses(Instruction instruction)
        {
            switch (instruction.Operand)
            {
                case TypeReference type:
                    yield return type;
                    break;
                case MethodReference method:
                    foreach (var used in Uses(method))
                        yield return used;
                    break;
                case FieldReference field:
                    yield return field.DeclaringType;
                    yield return field.FieldType;
                    break;
            }
        }

        /// Tarjan's strongly connected components over the namespace edges.
        public List<List<string>> StronglyConnected()
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var low = new Dictionary<string, int>(StringComparer.Ordinal);
            var stack = new Stack<string>();
            var onStack = new HashSet<string>(StringComparer.Ordinal);
            var components = new List<List<string>>();
            var next = 0;

            void Visit(string node)
            {
                index[node] = low[node] = next++;
                stack.Push(node);
                onStack.Add(node);
                foreach (var to in Edges.TryGetValue(node, out var e) ? e.Keys.ToList() : [])
                {
                    if (index.TryGetValue(to, out var seen))
                    {
                        if (onStack.Contains(to))
                            low[node] = Math.Min(low[node], seen);
                        continue;
                    }
                    Visit(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                if (low[node] != index[node])
                    return;
                var component = new List<string>();
                string popped;
                do
                {
                    popped = stack.Pop();
                    onStack.Remove(popped);
                    component.Add(popped);
                } while (popped != node);
                components.Add(component);
            }

            foreach (var node in Edges.Keys.Order(StringComparer.Ordinal).ToList())
                if (!index.ContainsKey(node))
                    Visit(node);
            return components;
        }

        public string Describe(List<string> component)
        {
            var members = component.ToHashSet(StringComparer.Ordinal);
            var lines = component.Order(StringComparer.Ordinal)
                .SelectMany(from => Edges[from].Where(e => members.Contains(e.Key))
                    .Select(e => $"  {from} -> {e.Key}: {e.Value}"));
            return $"cycle of {component.Count}: {string.Join(", ", component.Order(StringComparer.Ordinal))}\n{string.Join("\n", lines)}";
        }
    }
}

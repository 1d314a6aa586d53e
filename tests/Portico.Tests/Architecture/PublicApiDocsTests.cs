using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Portico.Hosting;

namespace Portico.Tests.Architecture;

/// The library's public surface is small and every part of it says what it is: each public type and member has a
/// non-empty <c>&lt;summary&gt;</c> in the XML docs the package ships (the compiler's CS1591 only asks for some
/// comment, not for a summary).
public sealed class PublicApiDocsTests
{
    static readonly Assembly Library = typeof(PorticoOptions).Assembly;

    [Fact]
    public void Every_public_type_and_member_has_a_summary()
    {
        var docs = Summaries();
        var missing = new List<string>();
        foreach (var type in Library.GetExportedTypes())
        {
            var typeId = type.FullName!.Replace('+', '.');
            if (!docs.Contains("T:" + typeId))
                missing.Add("T:" + typeId);
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (Documentable(member) is not { } prefix)
                    continue;
                var id = $"{prefix}:{typeId}.{(member is ConstructorInfo ? "#ctor" : member.Name)}";
                if (!docs.Any(d => d == id || d.StartsWith(id + "(", StringComparison.Ordinal) || d.StartsWith(id + "``", StringComparison.Ordinal)))
                    missing.Add(id);
            }
        }

        Assert.True(missing.Count == 0, "public API without a <summary>:\n" + string.Join("\n", missing.Distinct()));
    }

    [Fact]
    public void The_public_surface_is_the_embedding_api_only()
    {
        // Adding a public type is a decision (PublicAPI.Shipped.txt tracks members); this keeps the namespaces users see few.
        var namespaces = Library.GetExportedTypes().Select(t => t.Namespace).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(["Portico.Configuration", "Portico.Hosting", "Portico.Identity", "Portico.Policies"], namespaces);
    }

    static HashSet<string> Summaries()
    {
        var path = Path.ChangeExtension(Library.Location, ".xml");
        var members = XDocument.Load(path).Descendants("member");
        return members
            .Where(m => m.Element("inheritdoc") is not null || !string.IsNullOrWhiteSpace(m.Element("summary")?.Value))
            .Select(m => (string)m.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// The doc-id prefix of a member a person wrote, or null for what the compiler made (accessors, a record's
    /// equality and copy members, an implicit constructor).
    static string? Documentable(MemberInfo member)
    {
        if (member.IsDefined(typeof(CompilerGeneratedAttribute)))
            return null;
        return member switch
        {
            ConstructorInfo c => c.GetParameters().Length == 0 ? null : "M",
            MethodInfo m when m.IsSpecialName && !m.Name.StartsWith("op_", StringComparison.Ordinal) => null,
            MethodInfo m when IsRecordPlumbing(m) => null,
            MethodInfo => "M",
            PropertyInfo => "P",
            FieldInfo => "F",
            EventInfo => "E",
            _ => null,
        };
    }

    /// Equality, hashing, deconstruction and copying a record (class or struct) gets from the compiler.
    static bool IsRecordPlumbing(MethodInfo method)
    {
        var type = method.DeclaringType!;
        var isRecord = type.GetMethod("<Clone>$") is not null || type.IsValueType && type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null;
        return isRecord && method.Name is "Equals" or "GetHashCode" or "Deconstruct" or "op_Equality" or "op_Inequality" or "<Clone>$";
    }
}

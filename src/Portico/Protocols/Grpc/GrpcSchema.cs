extern alias ProtobufNet;

using System.Collections.Frozen;
using ProtobufNet::Google.Protobuf.Reflection;

namespace Portico.Protocols.Grpc;

/// The services, methods and messages of a gRPC service's .proto files, parsed at config load (no codegen, no
/// external compiler) and compiled into transcoding plans.
internal sealed class GrpcSchema
{
    GrpcSchema(FrozenDictionary<string, MethodPlan> methods) => Methods = methods;

    /// Methods by `package.Service/Method`.
    public FrozenDictionary<string, MethodPlan> Methods { get; }

    /// A hash of every .proto file read from disk (imports included), so a reload sees a changed definition.
    public string Fingerprint { get; private set; } = "";

    /// A problem with the .proto files: the file and line when the parser knows them.
    public sealed record LoadError(string Message, string? File = null, int Line = 0, int Column = 0);

    /// Parses <paramref name="protos"/> (paths relative to <paramref name="baseDirectory"/>, which is also the
    /// import root). google/protobuf/*.proto and google/api/{annotations,http}.proto resolve from the parser's
    /// embedded copies.
    public static GrpcSchema? Load(IReadOnlyList<string> protos, string baseDirectory, List<LoadError> errors)
    {
        var set = new FileDescriptorSet();
        var roots = new List<string> { baseDirectory };
        set.AddImportPath(baseDirectory);
        var before = errors.Count;
        foreach (var proto in protos)
        {
            var full = Path.GetFullPath(Path.Combine(baseDirectory, proto));
            if (!File.Exists(full))
            {
                errors.Add(new LoadError($"file '{proto}' not found (looked in {baseDirectory})", proto));
                continue;
            }
            // Names are import paths: relative to the import root, with forward slashes; a file outside the
            // config's folder is its own folder's import root.
            var relative = Path.GetRelativePath(baseDirectory, full).Replace('\\', '/');
            if (relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            {
                set.AddImportPath(Path.GetDirectoryName(full)!);
                roots.Add(Path.GetDirectoryName(full)!);
                relative = Path.GetFileName(full);
            }
            if (!set.Add(relative, includeInOutput: true)) errors.Add(new LoadError($"file '{proto}' could not be read", proto));
        }
        if (errors.Count > before) return null;
        set.Process();
        foreach (var e in set.GetErrors().Where(e => e.IsError))
            errors.Add(new LoadError(e.Message, e.File, e.LineNumber, e.ColumnNumber));
        if (errors.Count > before) return null;
        var schema = Compile(set);
        schema.Fingerprint = FingerprintOf(set, roots);
        return schema;
    }

    /// SHA-256 over each file's import name and bytes; the parser's embedded google/* files are not on disk and never change.
    static string FingerprintOf(FileDescriptorSet set, List<string> roots)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in set.Files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file.Name + "\n"));
            var onDisk = roots.Select(r => Path.Combine(r, file.Name)).FirstOrDefault(File.Exists);
            if (onDisk is not null) hash.AppendData(File.ReadAllBytes(onDisk));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    static GrpcSchema Compile(FileDescriptorSet set)
    {
        var messages = new Dictionary<string, (MessagePlan Plan, DescriptorProto Proto, string Syntax)>(StringComparer.Ordinal);
        var enums = new Dictionary<string, EnumPlan>(StringComparer.Ordinal);
        foreach (var file in set.Files)
        {
            var prefix = string.IsNullOrEmpty(file.Package) ? "" : file.Package + ".";
            foreach (var e in file.EnumTypes) AddEnum(prefix, e);
            foreach (var m in file.MessageTypes) AddMessage(prefix, m, file.Syntax);
        }
        foreach (var (plan, proto, syntax) in messages.Values)
        {
            var fields = new List<FieldPlan>();
            foreach (var f in proto.Fields)
            {
                var type = (ProtoType)(int)f.type;
                var repeated = f.label == FieldDescriptorProto.Label.LabelRepeated;
                var scalarNumeric = type is not (ProtoType.String or ProtoType.Bytes or ProtoType.Message or ProtoType.Group);
                var packed = repeated && scalarNumeric && (f.Options?.ShouldSerializePacked() == true ? f.Options.Packed : syntax != "proto2");
                // Proto3 `optional` sits in a synthetic oneof of its own; only real oneofs exclude each other.
                int? oneof = f.ShouldSerializeOneofIndex() && !f.Proto3Optional ? f.OneofIndex : null;
                var presence = f.Proto3Optional || oneof is not null || type == ProtoType.Message || syntax == "proto2";
                var jsonName = string.IsNullOrEmpty(f.JsonName) ? LowerCamel(f.Name) : f.JsonName;
                var field = new FieldPlan(f.Name, jsonName, f.Number, type, repeated, packed, oneof, presence);
                var typeName = f.TypeName.TrimStart('.');
                if (type is ProtoType.Message or ProtoType.Group) field.Message = messages[typeName].Plan;
                else if (type == ProtoType.Enum) field.Enum = enums[typeName];
                fields.Add(field);
            }
            plan.Fields = [.. fields];
            var byName = new Dictionary<string, FieldPlan>(StringComparer.Ordinal);
            foreach (var f in fields)
            {
                byName[f.JsonName] = f;
                byName.TryAdd(f.Name, f);
            }
            plan.ByName = byName.ToFrozenDictionary(StringComparer.Ordinal);
            plan.ByNumber = fields.ToFrozenDictionary(f => f.Number);
        }
        var methods = new Dictionary<string, MethodPlan>(StringComparer.Ordinal);
        foreach (var file in set.Files)
        {
            var prefix = string.IsNullOrEmpty(file.Package) ? "" : file.Package + ".";
            foreach (var service in file.Services)
            {
                foreach (var m in service.Methods)
                {
                    var plan = new MethodPlan(prefix + service.Name, m.Name, messages[m.InputType.TrimStart('.')].Plan, messages[m.OutputType.TrimStart('.')].Plan, m.ClientStreaming, m.ServerStreaming)
                    {
                        HttpRules = HttpRule.Read(m.Options),
                    };
                    methods[plan.FullName] = plan;
                }
            }
        }
        return new GrpcSchema(methods.ToFrozenDictionary(StringComparer.Ordinal));

        void AddEnum(string prefix, EnumDescriptorProto e)
        {
            var byName = new Dictionary<string, int>(StringComparer.Ordinal);
            var byNumber = new Dictionary<int, string>();
            foreach (var v in e.Values)
            {
                byName[v.Name] = v.Number;
                byNumber.TryAdd(v.Number, v.Name);
            }
            enums[prefix + e.Name] = new EnumPlan(prefix + e.Name, byName.ToFrozenDictionary(StringComparer.Ordinal), byNumber.ToFrozenDictionary());
        }

        void AddMessage(string prefix, DescriptorProto m, string syntax)
        {
            var name = prefix + m.Name;
            var plan = new MessagePlan(name) { IsMapEntry = m.Options?.MapEntry == true, WellKnown = WellKnownOf(name) };
            messages[name] = (plan, m, string.IsNullOrEmpty(syntax) ? "proto2" : syntax);
            foreach (var e in m.EnumTypes) AddEnum(name + ".", e);
            foreach (var nested in m.NestedTypes) AddMessage(name + ".", nested, syntax);
        }
    }

    static WellKnownType WellKnownOf(string name) => name switch
    {
        "google.protobuf.Timestamp" => WellKnownType.Timestamp,
        "google.protobuf.Duration" => WellKnownType.Duration,
        "google.protobuf.DoubleValue" or "google.protobuf.FloatValue" or "google.protobuf.Int64Value" or "google.protobuf.UInt64Value"
            or "google.protobuf.Int32Value" or "google.protobuf.UInt32Value" or "google.protobuf.BoolValue" or "google.protobuf.StringValue"
            or "google.protobuf.BytesValue" => WellKnownType.Wrapper,
        "google.protobuf.Struct" => WellKnownType.Struct,
        "google.protobuf.Value" => WellKnownType.Value,
        "google.protobuf.ListValue" => WellKnownType.ListValue,
        "google.protobuf.Empty" => WellKnownType.Empty,
        "google.protobuf.FieldMask" => WellKnownType.FieldMask,
        _ => WellKnownType.None,
    };

    /// protoc's default json_name: underscores dropped, the next letter upper-cased.
    internal static string LowerCamel(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length);
        var upper = false;
        foreach (var c in name)
        {
            if (c == '_') { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return sb.ToString();
    }
}

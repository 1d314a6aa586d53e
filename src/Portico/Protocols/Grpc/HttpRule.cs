extern alias ProtobufNet;
using Google.Protobuf;
using ProtoBuf;
using ProtobufNet::Google.Protobuf.Reflection;

namespace Portico.Protocols.Grpc;

/// One HTTP binding of a gRPC method, from its `option (google.api.http)` annotation (google/api/http.proto):
/// the HTTP method, the path template, which request field the body fills (`*` the whole message, empty none)
/// and which answer field is the response body (empty: the whole message).
internal sealed record HttpRule(string Verb, string Path, string Body, string ResponseBody)
{
    /// The `google.api.http` extension's field number on MethodOptions.
    const int HttpExtension = 72295728;

    /// The method's rules: the annotation and its `additional_bindings`, in declaration order; empty when the
    /// method has none. A rule without a pattern (no get/put/post/delete/patch/custom) is skipped.
    internal static IReadOnlyList<HttpRule> Read(MethodOptions? options)
    {
        if (options is null || ((IExtensible)options).GetExtensionObject(false) is not { } extension) return [];
        var stream = extension.BeginQuery();
        byte[] raw;
        try
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            raw = buffer.ToArray();
        }
        finally
        {
            extension.EndQuery(stream);
        }
        var rules = new List<HttpRule>();
        using var input = new CodedInputStream(raw);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == HttpExtension && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                ReadRule(input.ReadBytes().ToByteArray(), rules, nested: false);
            else input.SkipLastField();
        }
        return rules;
    }

    static void ReadRule(byte[] bytes, List<HttpRule> rules, bool nested)
    {
        string? verb = null, path = null;
        string body = "", responseBody = "";
        var additional = new List<byte[]>();
        using var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 2: (verb, path) = ("GET", input.ReadString()); break;
                case 3: (verb, path) = ("PUT", input.ReadString()); break;
                case 4: (verb, path) = ("POST", input.ReadString()); break;
                case 5: (verb, path) = ("DELETE", input.ReadString()); break;
                case 6: (verb, path) = ("PATCH", input.ReadString()); break;
                case 7: body = input.ReadString(); break;
                case 8: (verb, path) = ReadCustom(input.ReadBytes().ToByteArray()); break;
                case 11: additional.Add(input.ReadBytes().ToByteArray()); break;
                case 12: responseBody = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        if (verb is not null && path is not null) rules.Add(new HttpRule(verb, path, body, responseBody));
        // http.proto: additional bindings must not nest further.
        if (!nested) foreach (var b in additional) ReadRule(b, rules, nested: true);
    }

    static (string? Verb, string? Path) ReadCustom(byte[] bytes)
    {
        string? kind = null, path = null;
        using var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: kind = input.ReadString().ToUpperInvariant(); break;
                case 2: path = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (kind, path);
    }

    public override string ToString() => $"{Verb} {Path}";
}

using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace Portico.Protocols.Grpc;

/// Reads a message in the protobuf wire format into its proto3 JSON form, walking a compiled
/// <see cref="MessagePlan"/>. Fields use their json_name; int64 kinds are strings, bytes base64, enums names.
/// Fields holding their default value are omitted unless <c>emitDefaults</c>; unknown fields are skipped.
internal static class ProtobufToJson
{
    public static JsonNode? Read(MessagePlan plan, byte[] data, bool emitDefaults = false) => ReadMessage(plan, data, emitDefaults);

    static JsonNode? ReadMessage(MessagePlan plan, byte[] data, bool emitDefaults)
    {
        var fields = ReadFields(plan, data, emitDefaults);
        return plan.WellKnown switch
        {
            WellKnownType.Timestamp => FormatTimestamp(Long(fields, "seconds"), (int)Long(fields, "nanos")),
            WellKnownType.Duration => FormatDuration(Long(fields, "seconds"), (int)Long(fields, "nanos")),
            WellKnownType.Wrapper => fields["value"]?.DeepClone() ?? DefaultOf(plan.Fields[0]),
            WellKnownType.Struct => fields["fields"]?.DeepClone() ?? new JsonObject(),
            WellKnownType.ListValue => fields["values"]?.DeepClone() ?? new JsonArray(),
            WellKnownType.Value => fields.FirstOrDefault().Value?.DeepClone() ?? JsonValue.Create((string?)null)!,
            WellKnownType.FieldMask => JsonValue.Create(string.Join(",", (fields["paths"] as JsonArray ?? []).Select(p => GrpcSchema.LowerCamel(p!.GetValue<string>()))))!,
            _ => fields,
        };
    }

    static JsonObject ReadFields(MessagePlan plan, byte[] data, bool emitDefaults)
    {
        var result = new JsonObject();
        using var input = new CodedInputStream(data);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!plan.ByNumber.TryGetValue(WireFormat.GetTagFieldNumber(tag), out var field))
            {
                input.SkipLastField();
                continue;
            }
            var wire = WireFormat.GetTagWireType(tag);
            if (field.IsMap)
            {
                var entry = ReadFields(field.Message!, input.ReadBytes().ToByteArray(), emitDefaults: false);
                var key = entry["key"] is { } k ? KeyText(k) : KeyText(DefaultOf(field.Message!.ByNumber[1]));
                var map = result[field.JsonName] as JsonObject ?? (JsonObject)(result[field.JsonName] = new JsonObject());
                map[key] = entry["value"]?.DeepClone() ?? DefaultOf(field.Message!.ByNumber[2]);
            }
            else if (field.Repeated)
            {
                var list = result[field.JsonName] as JsonArray ?? (JsonArray)(result[field.JsonName] = new JsonArray());
                if (wire == WireFormat.WireType.LengthDelimited && field.Type is not (ProtoType.String or ProtoType.Bytes or ProtoType.Message or ProtoType.Group))
                {
                    using var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
                    while (!packed.IsAtEnd) list.Add(ReadValue(packed, field, emitDefaults));
                }
                else list.Add(ReadValue(input, field, emitDefaults));
            }
            else result[field.JsonName] = ReadValue(input, field, emitDefaults);
        }
        if (emitDefaults && plan.WellKnown == WellKnownType.None)
        {
            foreach (var field in plan.Fields)
            {
                if (result.ContainsKey(field.JsonName) || (field.HasPresence && !field.Repeated)) continue;
                result[field.JsonName] = field.IsMap ? new JsonObject() : field.Repeated ? new JsonArray() : DefaultOf(field);
            }
        }
        if (result.Count < 2) return result;
        // Fields in declaration order, whatever order the wire had them in.
        var ordered = new JsonObject();
        foreach (var field in plan.Fields)
        {
            if (!result.TryGetPropertyValue(field.JsonName, out var node)) continue;
            result.Remove(field.JsonName);
            ordered[field.JsonName] = node;
        }
        return ordered;
    }

    static JsonNode? ReadValue(CodedInputStream input, FieldPlan field, bool emitDefaults) => field.Type switch
    {
        ProtoType.Double => Floating(input.ReadDouble()),
        ProtoType.Float => Floating(input.ReadFloat()),
        ProtoType.Int32 => input.ReadInt32(),
        ProtoType.SInt32 => input.ReadSInt32(),
        ProtoType.SFixed32 => input.ReadSFixed32(),
        ProtoType.UInt32 => input.ReadUInt32(),
        ProtoType.Fixed32 => input.ReadFixed32(),
        ProtoType.Int64 => input.ReadInt64().ToString(CultureInfo.InvariantCulture),
        ProtoType.SInt64 => input.ReadSInt64().ToString(CultureInfo.InvariantCulture),
        ProtoType.SFixed64 => input.ReadSFixed64().ToString(CultureInfo.InvariantCulture),
        ProtoType.UInt64 => input.ReadUInt64().ToString(CultureInfo.InvariantCulture),
        ProtoType.Fixed64 => input.ReadFixed64().ToString(CultureInfo.InvariantCulture),
        ProtoType.Bool => input.ReadBool(),
        ProtoType.String => input.ReadString(),
        ProtoType.Bytes => input.ReadBytes().ToBase64(),
        ProtoType.Enum => EnumValue(field.Enum!, input.ReadEnum()),
        ProtoType.Message or ProtoType.Group => ReadMessage(field.Message!, input.ReadBytes().ToByteArray(), emitDefaults),
        _ => throw new InvalidDataException($"field {field.Name}: unsupported type {field.Type}"),
    };

    static JsonNode? EnumValue(EnumPlan e, int number) =>
        e.IsNullValue ? null : e.ByNumber.TryGetValue(number, out var name) ? JsonValue.Create(name) : JsonValue.Create(number);

    static JsonNode Floating(double d) => double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");

    static string KeyText(JsonNode? key) => key switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        null => "",
        _ => key.ToJsonString(),
    };

    internal static JsonNode? DefaultOf(FieldPlan field) => field.Type switch
    {
        ProtoType.String => "",
        ProtoType.Bytes => "",
        ProtoType.Bool => false,
        ProtoType.Int64 or ProtoType.SInt64 or ProtoType.SFixed64 or ProtoType.UInt64 or ProtoType.Fixed64 => "0",
        ProtoType.Enum => field.Enum!.IsNullValue ? null : field.Enum!.ByNumber.TryGetValue(0, out var name) ? JsonValue.Create(name) : JsonValue.Create(0),
        ProtoType.Message or ProtoType.Group => null,
        _ => 0,
    };

    static long Long(JsonObject fields, string name) => fields[name] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => long.Parse(s, CultureInfo.InvariantCulture),
        JsonValue v => v.GetValue<int>(),
        _ => 0,
    };

    static string FormatTimestamp(long seconds, int nanos)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        return at.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + Fraction(nanos) + "Z";
    }

    static string FormatDuration(long seconds, int nanos)
    {
        var sign = seconds < 0 || nanos < 0 ? "-" : "";
        return sign + Math.Abs(seconds).ToString(CultureInfo.InvariantCulture) + Fraction(Math.Abs(nanos)) + "s";
    }

    /// 0, 3, 6 or 9 fractional digits, as the proto3 JSON mapping prints them.
    static string Fraction(int nanos) =>
        nanos == 0 ? "" : nanos % 1_000_000 == 0 ? "." + (nanos / 1_000_000).ToString("000", CultureInfo.InvariantCulture)
        : nanos % 1000 == 0 ? "." + (nanos / 1000).ToString("000000", CultureInfo.InvariantCulture)
        : "." + nanos.ToString("000000000", CultureInfo.InvariantCulture);
}

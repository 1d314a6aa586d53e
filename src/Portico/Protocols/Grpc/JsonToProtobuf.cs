using System.Globalization;
using System.Text.Json;
using Google.Protobuf;

namespace Portico.Protocols.Grpc;

/// Writes a message in the protobuf wire format from its proto3 JSON form, walking a compiled
/// <see cref="MessagePlan"/>. Fields may use their json_name or original name; unknown fields are rejected.
internal static class JsonToProtobuf
{
    public static byte[] Write(MessagePlan plan, JsonElement json)
    {
        using var buffer = new MemoryStream();
        using var output = new CodedOutputStream(buffer, leaveOpen: true);
        WriteMessage(output, plan, json, "");
        output.Flush();
        return buffer.ToArray();
    }

    static byte[] Nested(MessagePlan plan, JsonElement json, string path)
    {
        using var buffer = new MemoryStream();
        using var output = new CodedOutputStream(buffer, leaveOpen: true);
        WriteMessage(output, plan, json, path);
        output.Flush();
        return buffer.ToArray();
    }

    static void WriteMessage(CodedOutputStream output, MessagePlan plan, JsonElement json, string path)
    {
        switch (plan.WellKnown)
        {
            case WellKnownType.Timestamp: WriteTimestamp(output, json, path); return;
            case WellKnownType.Duration: WriteDuration(output, json, path); return;
            case WellKnownType.Wrapper: WriteField(output, plan.Fields[0], json, path); return;
            case WellKnownType.Struct:
                if (json.ValueKind != JsonValueKind.Object) throw Bad(path, "expected a JSON object");
                WriteMap(output, plan.Fields[0], json, path);
                return;
            case WellKnownType.ListValue:
                if (json.ValueKind != JsonValueKind.Array) throw Bad(path, "expected a JSON array");
                WriteField(output, plan.Fields[0], json, path);
                return;
            case WellKnownType.Value: WriteValue(output, plan, json, path); return;
            case WellKnownType.FieldMask: WriteFieldMask(output, json, path); return;
        }
        if (json.ValueKind != JsonValueKind.Object) throw Bad(path, $"expected a JSON object ({plan.FullName}), found {Describe(json)}");
        int? oneofSeen = null;
        foreach (var property in json.EnumerateObject())
        {
            var fieldPath = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            if (!plan.ByName.TryGetValue(property.Name, out var field)) throw Bad(fieldPath, $"unknown field '{property.Name}' in {plan.FullName}");
            // null means "default" except for google.protobuf.Value, where it is the JSON null.
            if (property.Value.ValueKind == JsonValueKind.Null && field.Message?.WellKnown != WellKnownType.Value) continue;
            if (field.Oneof is { } oneof)
            {
                if (oneofSeen == oneof) throw Bad(fieldPath, "another member of the same oneof is already set");
                oneofSeen = oneof;
            }
            if (field.IsMap)
            {
                if (property.Value.ValueKind != JsonValueKind.Object) throw Bad(fieldPath, $"expected a JSON object (map), found {Describe(property.Value)}");
                WriteMap(output, field, property.Value, fieldPath);
            }
            else if (field.HasPresence || field.Repeated || !IsDefault(field, property.Value)) WriteField(output, field, property.Value, fieldPath);
        }
    }

    /// Proto3 does not put a field without presence on the wire when it holds its default value.
    static bool IsDefault(FieldPlan field, JsonElement value) => field.Type switch
    {
        ProtoType.String or ProtoType.Bytes => value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0,
        ProtoType.Bool => value.ValueKind == JsonValueKind.False,
        ProtoType.Enum => (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n == 0)
            || (value.ValueKind == JsonValueKind.String && field.Enum!.ByName.TryGetValue(value.GetString()!, out var e) && e == 0),
        ProtoType.Message or ProtoType.Group => false,
        _ => (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && d == 0 && !value.GetRawText().StartsWith('-'))
            || (value.ValueKind == JsonValueKind.String && value.GetString() is "0"),
    };

    static void WriteField(CodedOutputStream output, FieldPlan field, JsonElement value, string path)
    {
        if (!field.Repeated)
        {
            WriteSingle(output, field, value, path, field.Number);
            return;
        }
        if (value.ValueKind != JsonValueKind.Array) throw Bad(path, $"expected a JSON array, found {Describe(value)}");
        if (field.Packed)
        {
            using var buffer = new MemoryStream();
            using var packed = new CodedOutputStream(buffer, leaveOpen: true);
            var i = 0;
            foreach (var item in value.EnumerateArray()) WriteScalar(packed, field, item, $"{path}[{i++}]");
            packed.Flush();
            output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(buffer.ToArray()));
            return;
        }
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{index++}]";
            if (item.ValueKind == JsonValueKind.Null && field.Message?.WellKnown != WellKnownType.Value) throw Bad(itemPath, "null is not allowed in a repeated field");
            WriteSingle(output, field, item, itemPath, field.Number);
        }
    }

    static void WriteMap(CodedOutputStream output, FieldPlan field, JsonElement json, string path)
    {
        var entry = field.Message!;
        var keyField = entry.ByNumber[1];
        var valueField = entry.ByNumber[2];
        foreach (var property in json.EnumerateObject())
        {
            var entryPath = $"{path}[\"{property.Name}\"]";
            using var buffer = new MemoryStream();
            using var e = new CodedOutputStream(buffer, leaveOpen: true);
            WriteKey(e, keyField, property.Name, entryPath);
            WriteSingle(e, valueField, property.Value, entryPath, 2);
            e.Flush();
            output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(buffer.ToArray()));
        }
    }

    static void WriteKey(CodedOutputStream output, FieldPlan key, string text, string path)
    {
        if (key.Type == ProtoType.String)
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(text);
            return;
        }
        if (key.Type == ProtoType.Bool && text is not ("true" or "false")) throw Bad(path, "a bool map key is \"true\" or \"false\"");
        using var doc = JsonDocument.Parse(key.Type == ProtoType.Bool ? text : $"\"{JsonEncodedText.Encode(text)}\"");
        output.WriteTag(1, WireTypeOf(key.Type));
        WriteScalar(output, key, doc.RootElement, path);
    }

    static void WriteSingle(CodedOutputStream output, FieldPlan field, JsonElement value, string path, int number)
    {
        if (field.Type is ProtoType.Message or ProtoType.Group)
        {
            var bytes = Nested(field.Message!, value, path);
            output.WriteTag(number, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(bytes));
            return;
        }
        output.WriteTag(number, WireTypeOf(field.Type));
        WriteScalar(output, field, value, path);
    }

    internal static WireFormat.WireType WireTypeOf(ProtoType type) => type switch
    {
        ProtoType.Double or ProtoType.Fixed64 or ProtoType.SFixed64 => WireFormat.WireType.Fixed64,
        ProtoType.Float or ProtoType.Fixed32 or ProtoType.SFixed32 => WireFormat.WireType.Fixed32,
        ProtoType.String or ProtoType.Bytes or ProtoType.Message => WireFormat.WireType.LengthDelimited,
        _ => WireFormat.WireType.Varint,
    };

    static void WriteScalar(CodedOutputStream output, FieldPlan field, JsonElement value, string path)
    {
        switch (field.Type)
        {
            case ProtoType.Double: output.WriteDouble(Floating(value, path, double.MaxValue)); break;
            case ProtoType.Float: output.WriteFloat((float)Floating(value, path, float.MaxValue)); break;
            case ProtoType.Int32: output.WriteInt32((int)Integer(value, path, int.MinValue, int.MaxValue)); break;
            case ProtoType.SInt32: output.WriteSInt32((int)Integer(value, path, int.MinValue, int.MaxValue)); break;
            case ProtoType.SFixed32: output.WriteSFixed32((int)Integer(value, path, int.MinValue, int.MaxValue)); break;
            case ProtoType.UInt32: output.WriteUInt32((uint)Integer(value, path, 0, uint.MaxValue)); break;
            case ProtoType.Fixed32: output.WriteFixed32((uint)Integer(value, path, 0, uint.MaxValue)); break;
            case ProtoType.Int64: output.WriteInt64((long)Integer(value, path, long.MinValue, long.MaxValue)); break;
            case ProtoType.SInt64: output.WriteSInt64((long)Integer(value, path, long.MinValue, long.MaxValue)); break;
            case ProtoType.SFixed64: output.WriteSFixed64((long)Integer(value, path, long.MinValue, long.MaxValue)); break;
            case ProtoType.UInt64: output.WriteUInt64((ulong)Integer(value, path, 0, ulong.MaxValue)); break;
            case ProtoType.Fixed64: output.WriteFixed64((ulong)Integer(value, path, 0, ulong.MaxValue)); break;
            case ProtoType.Bool:
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Bad(path, $"expected true or false, found {Describe(value)}");
                output.WriteBool(value.GetBoolean());
                break;
            case ProtoType.String:
                if (value.ValueKind != JsonValueKind.String) throw Bad(path, $"expected a string, found {Describe(value)}");
                output.WriteString(value.GetString()!);
                break;
            case ProtoType.Bytes:
                if (value.ValueKind != JsonValueKind.String) throw Bad(path, $"expected base64 text, found {Describe(value)}");
                output.WriteBytes(UnsafeByteOperations.UnsafeWrap(Base64(value.GetString()!, path)));
                break;
            case ProtoType.Enum: output.WriteEnum(EnumNumber(field.Enum!, value, path)); break;
            default: throw Bad(path, $"field type {field.Type} is not supported");
        }
    }

    static int EnumNumber(EnumPlan e, JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            var name = value.GetString()!;
            if (e.ByName.TryGetValue(name, out var number)) return number;
            throw Bad(path, $"'{name}' is not a value of {e.FullName} (expected one of {string.Join(", ", e.ByName.Keys)})");
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n)) return n;
        if (value.ValueKind == JsonValueKind.Null && e.IsNullValue) return 0;
        throw Bad(path, $"expected an enum name or number of {e.FullName}, found {Describe(value)}");
    }

    static byte[] Base64(string text, string path)
    {
        // proto3 JSON accepts standard and URL-safe base64, with or without padding.
        var normal = text.Replace('-', '+').Replace('_', '/');
        if (normal.Length % 4 != 0) normal = normal.PadRight(normal.Length + (4 - normal.Length % 4), '=');
        try
        {
            return Convert.FromBase64String(normal);
        }
        catch (FormatException)
        {
            throw Bad(path, "expected base64 text");
        }
    }

    /// Integers arrive as JSON numbers or as strings (int64 is usually a string); fractions and out-of-range values are errors.
    static decimal Integer(JsonElement value, string path, decimal min, decimal max)
    {
        decimal number;
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (!value.TryGetDecimal(out number)) throw Bad(path, $"{value.GetRawText()} is out of range");
        }
        else if (value.ValueKind == JsonValueKind.String)
        {
            if (!decimal.TryParse(value.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out number))
                throw Bad(path, $"'{value.GetString()}' is not a number");
        }
        else throw Bad(path, $"expected an integer, found {Describe(value)}");
        if (number != decimal.Truncate(number)) throw Bad(path, $"{number.ToString(CultureInfo.InvariantCulture)} is not a whole number");
        if (number < min || number > max) throw Bad(path, $"{number.ToString(CultureInfo.InvariantCulture)} is out of range ({min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)})");
        return number;
    }

    static double Floating(JsonElement value, string path, double max)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            var d = value.GetDouble();
            if (Math.Abs(d) > max) throw Bad(path, $"{value.GetRawText()} is out of range");
            return d;
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString();
            switch (text)
            {
                case "NaN": return double.NaN;
                case "Infinity": return double.PositiveInfinity;
                case "-Infinity": return double.NegativeInfinity;
            }
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Math.Abs(d) <= max) return d;
            throw Bad(path, $"'{text}' is not a number in range");
        }
        throw Bad(path, $"expected a number, found {Describe(value)}");
    }

    static void WriteTimestamp(CodedOutputStream output, JsonElement json, string path)
    {
        if (json.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParse(json.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            throw Bad(path, $"expected an RFC 3339 timestamp such as \"2024-01-02T03:04:05Z\", found {Describe(json)}");
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        WriteSecondsNanos(output, seconds, (int)(rest * 100));
    }

    static void WriteDuration(CodedOutputStream output, JsonElement json, string path)
    {
        var text = json.ValueKind == JsonValueKind.String ? json.GetString()! : "";
        if (!text.EndsWith('s') || !decimal.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var total))
            throw Bad(path, $"expected a duration such as \"1.5s\", found {Describe(json)}");
        var seconds = decimal.Truncate(total);
        if (Math.Abs(seconds) > 315_576_000_000m) throw Bad(path, "duration out of range");
        WriteSecondsNanos(output, (long)seconds, (int)((total - seconds) * 1_000_000_000m));
    }

    static void WriteSecondsNanos(CodedOutputStream output, long seconds, int nanos)
    {
        if (seconds != 0) { output.WriteTag(1, WireFormat.WireType.Varint); output.WriteInt64(seconds); }
        if (nanos != 0) { output.WriteTag(2, WireFormat.WireType.Varint); output.WriteInt32(nanos); }
    }

    static void WriteFieldMask(CodedOutputStream output, JsonElement json, string path)
    {
        if (json.ValueKind != JsonValueKind.String) throw Bad(path, $"expected a field mask such as \"name,price\", found {Describe(json)}");
        foreach (var p in json.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(ToSnake(p));
        }
    }

    static string ToSnake(string camel)
    {
        var sb = new System.Text.StringBuilder(camel.Length + 4);
        foreach (var c in camel)
        {
            if (char.IsAsciiLetterUpper(c)) sb.Append('_').Append(char.ToLowerInvariant(c));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// google.protobuf.Value: any JSON value, in the member of its oneof that fits.
    static void WriteValue(CodedOutputStream output, MessagePlan plan, JsonElement json, string path)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Null: output.WriteTag(1, WireFormat.WireType.Varint); output.WriteEnum(0); break;
            case JsonValueKind.Number: output.WriteTag(2, WireFormat.WireType.Fixed64); output.WriteDouble(json.GetDouble()); break;
            case JsonValueKind.String: output.WriteTag(3, WireFormat.WireType.LengthDelimited); output.WriteString(json.GetString()!); break;
            case JsonValueKind.True or JsonValueKind.False: output.WriteTag(4, WireFormat.WireType.Varint); output.WriteBool(json.GetBoolean()); break;
            case JsonValueKind.Object: WriteSingle(output, plan.ByNumber[5], json, path, 5); break;
            case JsonValueKind.Array: WriteSingle(output, plan.ByNumber[6], json, path, 6); break;
            default: throw Bad(path, "unsupported JSON value");
        }
    }

    static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"\"{value.GetString()}\"",
        JsonValueKind.Null => "null",
        _ => value.GetRawText(),
    };

    static GrpcTranscodeException Bad(string path, string message) => new(path.Length == 0 ? "(body)" : path, message);
}

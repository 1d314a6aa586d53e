using System.Collections.Frozen;

namespace Portico.Protocols.Grpc;

/// The scalar kinds of the protobuf wire format (numbers as in descriptor.proto's FieldDescriptorProto.Type).
internal enum ProtoType
{
    Double = 1, Float = 2, Int64 = 3, UInt64 = 4, Int32 = 5, Fixed64 = 6, Fixed32 = 7, Bool = 8, String = 9,
    Group = 10, Message = 11, Bytes = 12, UInt32 = 13, Enum = 14, SFixed32 = 15, SFixed64 = 16, SInt32 = 17, SInt64 = 18,
}

/// Messages whose proto3 JSON form is special.
internal enum WellKnownType { None, Timestamp, Duration, Wrapper, Struct, Value, ListValue, Empty, FieldMask }

/// One message type compiled for transcoding: fields by number and by JSON and original name.
internal sealed class MessagePlan(string fullName)
{
    public string FullName { get; } = fullName;
    public WellKnownType WellKnown { get; internal set; }
    public bool IsMapEntry { get; internal set; }
    public FieldPlan[] Fields { get; internal set; } = [];
    public FrozenDictionary<string, FieldPlan> ByName { get; internal set; } = FrozenDictionary<string, FieldPlan>.Empty;
    public FrozenDictionary<int, FieldPlan> ByNumber { get; internal set; } = FrozenDictionary<int, FieldPlan>.Empty;

    public override string ToString() => FullName;
}

/// One field: wire number and kind, JSON name, and the message or enum it refers to.
internal sealed class FieldPlan(string name, string jsonName, int number, ProtoType type, bool repeated, bool packed, int? oneof, bool presence)
{
    public string Name { get; } = name;
    public string JsonName { get; } = jsonName;
    public int Number { get; } = number;
    public ProtoType Type { get; } = type;
    public bool Repeated { get; } = repeated;
    public bool Packed { get; } = packed;
    public int? Oneof { get; } = oneof;

    /// Proto3 `optional`, message fields and oneof members: set-ness is visible, so a default value is still written.
    public bool HasPresence { get; } = presence;
    public MessagePlan? Message { get; internal set; }
    public EnumPlan? Enum { get; internal set; }
    public bool IsMap => Message is { IsMapEntry: true };

    public override string ToString() => Name;
}

/// An enum's values, by name and by number.
internal sealed class EnumPlan(string fullName, FrozenDictionary<string, int> byName, FrozenDictionary<int, string> byNumber)
{
    public string FullName { get; } = fullName;
    public FrozenDictionary<string, int> ByName { get; } = byName;
    public FrozenDictionary<int, string> ByNumber { get; } = byNumber;
    public bool IsNullValue => FullName == "google.protobuf.NullValue";
}

/// A method of a service: its full gRPC path (`/pkg.Service/Method`), kind, and message plans.
internal sealed class MethodPlan(string service, string name, MessagePlan input, MessagePlan output, bool clientStreaming, bool serverStreaming)
{
    public string Service { get; } = service;
    public string Name { get; } = name;
    public string FullName => $"{Service}/{Name}";
    public MessagePlan Input { get; } = input;
    public MessagePlan Output { get; } = output;
    public bool ClientStreaming { get; } = clientStreaming;
    public bool ServerStreaming { get; } = serverStreaming;

    /// The method's `google.api.http` bindings, empty when it has none.
    public IReadOnlyList<HttpRule> HttpRules { get; internal init; } = [];
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portico.Protocols.Grpc;

namespace Portico.Fuzz;

/// JSON body → protobuf for the fixed message fuzz.Item (fuzz.proto), the way GrpcHandler does it. Refusals are
/// GrpcTranscodeException and JsonException (the handler's 400s); a message that was written must read back.
sealed class JsonToProtobufHarness(MessagePlan item)
{
    public static JsonToProtobufHarness Create()
    {
        var errors = new List<GrpcSchema.LoadError>();
        var schema = GrpcSchema.Load(["fuzz.proto"], AppContext.BaseDirectory, errors);
        if (schema is null || errors.Count > 0) throw new InvalidOperationException($"fuzz.proto: {string.Join("; ", errors)}");
        return new JsonToProtobufHarness(schema.Methods["fuzz.Fuzz/Put"].Input);
    }

    public void Run(ReadOnlySpan<byte> data)
    {
        byte[] written;
        try
        {
            written = Build(data);
        }
        // The handler's 400s: its own refusals, JSON that does not parse, and text in it that is not UTF-8.
        catch (Exception ex) when (ex is GrpcTranscodeException or JsonException || (ex is InvalidOperationException && ex.InnerException is DecoderFallbackException))
        {
            return;
        }
        _ = ProtobufToJson.Read(item, written);
    }

    /// As GrpcHandler builds a request: the body parsed as JsonNode, merged into the message, re-read as a document.
    byte[] Build(ReadOnlySpan<byte> data)
    {
        if (JsonNode.Parse(data, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) is not JsonObject fields) throw new GrpcTranscodeException("(body)", "expected a JSON object");
        var message = new JsonObject();
        foreach (var (name, value) in fields.ToList())
        {
            fields.Remove(name);
            message[name] = value;
        }
        using var document = JsonDocument.Parse(message.ToJsonString());
        return JsonToProtobuf.Write(item, document.RootElement);
    }
}

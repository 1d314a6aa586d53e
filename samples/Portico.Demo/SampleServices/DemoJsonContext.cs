using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portico.Demo.SampleServices;

internal sealed record HealthReply(string Status);

/// What the catch-all services answer: who served the request and what it was.
internal sealed record ServedReply(string ServedBy, string Method, string Path, string? Query);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthReply))]
[JsonSerializable(typeof(ServedReply))]
[JsonSerializable(typeof(DemoUser))]
[JsonSerializable(typeof(Person))]
[JsonSerializable(typeof(CreditBalance))]
[JsonSerializable(typeof(TokenReply))]
[JsonSerializable(typeof(JwksReply))]
[JsonSerializable(typeof(VerifyReply))]
internal sealed partial class DemoJsonContext : JsonSerializerContext;

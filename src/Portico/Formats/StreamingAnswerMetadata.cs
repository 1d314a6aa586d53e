namespace Portico.Formats;

/// Marks a route that answers a stream (a server-streaming gRPC method answers JSON lines) to a client whose
/// Accept names <see cref="MediaType"/>: such an answer passes the formats' negotiation untouched.
internal sealed class StreamingAnswerMetadata(string mediaType)
{
    public static readonly StreamingAnswerMetadata Ndjson = new("application/x-ndjson");

    public string MediaType { get; } = mediaType;
}

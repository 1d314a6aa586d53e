namespace Portico.Protocols.Grpc;

/// A JSON value that does not fit the request message; <see cref="Field"/> is its path (`item.tags[2]`).
internal sealed class GrpcTranscodeException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

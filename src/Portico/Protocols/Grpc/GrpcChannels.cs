using Grpc.Net.Client;
using Portico.LoadBalancing;
using Portico.Services;

namespace Portico.Protocols.Grpc;

/// One gRPC channel per destination of a `protocol: grpc` service, over one shared HTTP/2 handler. http://
/// URLs speak h2c (HTTP/2 with prior knowledge), https:// URLs TLS. Owned by the service runtime and disposed
/// with it once the snapshots that used it have drained.
internal sealed class GrpcChannels : IServiceClient
{
    readonly SocketsHttpHandler _handler;
    readonly Dictionary<DestinationState, GrpcChannel> _channels = [];

    public GrpcChannels(DestinationSet destinations, TimeSpan connectTimeout)
    {
        _handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // The call's metadata carries the client span's trace context; the handler's own would add a second.
            ActivityHeadersPropagator = null,
        };
        foreach (var destination in destinations.All)
            _channels[destination] = GrpcChannel.ForAddress(destination.Url, new GrpcChannelOptions { HttpHandler = _handler, DisposeHttpClient = false });
    }

    /// A destination picked by the service's balancer among the available ones, with its channel; null when none is.
    public (DestinationState Destination, GrpcChannel Channel)? Pick(ServiceRuntime service)
    {
        var available = service.Destinations.Available;
        if (available.Length == 0) return null;
        var destination = service.Balancer.Pick(available);
        return (destination, _channels[destination]);
    }

    public void Start() { }

    /// Left to the destinations' health.
    public bool? IsReady => null;

    public ValueTask DisposeAsync()
    {
        foreach (var channel in _channels.Values) channel.Dispose();
        _handler.Dispose();
        return ValueTask.CompletedTask;
    }
}

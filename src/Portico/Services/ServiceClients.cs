using Microsoft.Extensions.Logging;

namespace Portico.Services;

/// What a service of a protocol other than HTTP holds besides its HTTP client: gRPC channels, a broker
/// connection. Made by the route kind that owns the protocol; lives and dies with its <see cref="ServiceRuntime"/>.
internal interface IServiceClient : IAsyncDisposable
{
    /// Starts background work (connecting to a broker); called once the service is part of a live config.
    void Start();

    /// Whether the service can take traffic; null leaves it to the destinations' health.
    bool? IsReady { get; }
}

/// Makes the <see cref="IServiceClient"/> of each service whose `protocol:` is <see cref="Protocol"/>.
internal interface IServiceClientFactory
{
    string Protocol { get; }

    IServiceClient Create(ServiceRuntime service, TimeProvider time, ILoggerFactory loggers);
}

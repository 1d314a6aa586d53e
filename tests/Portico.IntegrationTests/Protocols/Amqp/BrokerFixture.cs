using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Protocols.Amqp;

/// One RabbitMQ node for the tests of the <see cref="BrokerCollection"/>: it takes seconds to boot, so it starts
/// once. Tests isolate themselves with their own exchanges and queues.
public sealed class BrokerFixture : IAsyncLifetime
{
    public RabbitMqServer Broker { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Broker = await RabbitMqServer.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        if (Broker is not null) await Broker.DisposeAsync();
    }
}

/// The tests that need a real broker; only they start one.
[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "RabbitMQ broker";
}

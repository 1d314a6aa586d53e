using System.Collections.Concurrent;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Portico.IntegrationTests.Protocols.Amqp;

/// The other side of the broker, for tests: declares topology, consumes what the gateway published and answers
/// RPC requests, over its own connection.
public sealed class BrokerClient : IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;

    BrokerClient(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public sealed record Received(string RoutingKey, IReadOnlyBasicProperties Properties, string Body)
    {
        public string? Header(string name) => Properties.Headers?.TryGetValue(name, out var v) == true && v is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;
    }

    /// Messages delivered to the queues this client consumes, in arrival order.
    public ConcurrentQueue<Received> Messages { get; } = new();

    public static async Task<BrokerClient> ConnectAsync(string url)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(url) }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        return new BrokerClient(connection, channel);
    }

    /// A topic exchange with one queue bound by <paramref name="bindingKey"/>; returns the queue's name.
    public async Task<string> DeclareAsync(string exchange, string bindingKey, bool durable = false, IDictionary<string, object?>? queueArguments = null)
    {
        await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: durable, autoDelete: false);
        var queue = $"{exchange}.q";
        await _channel.QueueDeclareAsync(queue, durable: durable, exclusive: false, autoDelete: false, arguments: queueArguments);
        await _channel.QueueBindAsync(queue, exchange, bindingKey);
        return queue;
    }

    public async Task DeclareExchangeAsync(string exchange) => await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: false, autoDelete: false);

    public async Task<string> DeclareQueueAsync(string queue)
    {
        await _channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        return queue;
    }

    /// Collects every message of the queue into <see cref="Messages"/>.
    public async Task ConsumeAsync(string queue)
    {
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, e) =>
        {
            Messages.Enqueue(new Received(e.RoutingKey, e.BasicProperties, Encoding.UTF8.GetString(e.Body.Span)));
            return Task.CompletedTask;
        };
        await _channel.BasicConsumeAsync(queue, autoAck: true, consumer);
    }

    /// Answers each request of the queue at its reply-to with its correlation id, what <paramref name="reply"/>
    /// makes of the body, the content type and an `http-status` header.
    public async Task ServeAsync(string queue, Func<string, string> reply, string contentType, int status)
    {
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += async (_, e) =>
        {
            Messages.Enqueue(new Received(e.RoutingKey, e.BasicProperties, Encoding.UTF8.GetString(e.Body.Span)));
            var properties = new BasicProperties
            {
                CorrelationId = e.BasicProperties.CorrelationId,
                ContentType = contentType,
                Headers = new Dictionary<string, object?> { ["http-status"] = status },
            };
            await _channel.BasicPublishAsync("", e.BasicProperties.ReplyTo!, false, properties, Encoding.UTF8.GetBytes(reply(Encoding.UTF8.GetString(e.Body.Span))));
        };
        await _channel.BasicConsumeAsync(queue, autoAck: true, consumer);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Services;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Portico.Protocols.Amqp;

/// The broker connection of one `protocol: amqp` service. Connects in the background from <see cref="Start"/>
/// (retrying every `recoveryInterval` while the broker is unreachable, so the gateway starts without it); once
/// connected, RabbitMQ.Client's automatic recovery restores the connection and its channels. Publishes go over
/// one channel with publisher confirms and confirm tracking, so concurrent publishes each await their own
/// confirm; RPC calls use a second channel consuming direct reply-to. A channel the broker closed over an error
/// is replaced on next use. Owned by the service runtime.
internal sealed partial class AmqpBroker : IServiceClient
{
    public const string DirectReplyTo = "amq.rabbitmq.reply-to";
    public const string StatusHeader = "http-status";

    static readonly CreateChannelOptions ConfirmedChannel = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    readonly string _service;
    readonly AmqpServiceDefinition _definition;
    readonly TimeSpan _connectTimeout;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly CancellationTokenSource _stopping = new();
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "A SemaphoreSlim holds nothing to free unless its wait handle is read (never here); disposing it could fail a caller still waiting as the owner shuts down")]
    readonly SemaphoreSlim _channelGate = new(1, 1);
    IConnection? _connection;
    volatile bool _recovering;
    int _watching;
    IChannel? _publishChannel;
    RpcChannel? _rpcChannel;
    Task _connecting = Task.CompletedTask;

    public AmqpBroker(ServiceDefinition service, TimeProvider time, ILoggerFactory loggers)
    {
        _service = service.Name;
        _definition = service.ProtocolSection as AmqpServiceDefinition ?? throw new ArgumentException($"service '{service.Name}' is not an AMQP service", nameof(service));
        _connectTimeout = service.ConnectTimeout;
        _time = time;
        _logger = loggers.CreateLogger("Portico.Amqp");
    }

    public bool IsConfigured => _definition.Broker is not null;
    public bool IsConnected => _connection is { IsOpen: true } && !_recovering;

    /// A broker service is ready while connected, whatever its (unused) HTTP destinations say.
    bool? IServiceClient.IsReady => IsConnected;
    public TimeSpan RecoveryInterval => _definition.RecoveryInterval;
    public string Endpoint => _definition.Endpoint;

    /// Starts connecting in the background; requests answer 503 until the connection is up.
    public void Start()
    {
        if (_definition.Broker is null)
        {
            LogNotConfigured(_logger, _service);
            return;
        }
        _connecting = Task.Run(ConnectAsync);
    }

    async Task ConnectAsync()
    {
        var factory = new ConnectionFactory
        {
            Uri = _definition.Broker!,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = _definition.RecoveryInterval,
            RequestedConnectionTimeout = _connectTimeout,
            ClientProvidedName = $"portico:{_service}",
        };
        var failures = 0;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var connection = await factory.CreateConnectionAsync(_stopping.Token).ConfigureAwait(false);
                connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
                connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
                _connection = connection;
                _recovering = false;
                LogConnected(_logger, _service, Endpoint);
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The first failure is worth a warning; the retries after it are not news.
                var reason = ex.GetBaseException().Message;
                if (failures++ == 0) LogUnreachable(_logger, _service, Endpoint, reason, _definition.RecoveryInterval);
                else LogStillUnreachable(_logger, _service, Endpoint, reason);
            }
            await Task.Delay(_definition.RecoveryInterval, _time, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs args)
    {
        if (args.Initiator == ShutdownInitiator.Application) return Task.CompletedTask;
        _recovering = true;
        LogConnectionLost(_logger, _service, Endpoint, args.ReplyText);
        if (_connection is { } lost && Interlocked.Exchange(ref _watching, 1) == 0) _connecting = WatchRecoveryAsync(lost);
        return Task.CompletedTask;
    }

    /// How long the client library gets to recover a lost connection before the gateway makes a new one.
    TimeSpan RecoveryGrace => TimeSpan.FromTicks(Math.Max(_definition.RecoveryInterval.Ticks * 5, TimeSpan.FromSeconds(5).Ticks));

    /// RabbitMQ.Client's automatic recovery does not always come back after a broker restart (a known, open
    /// client issue: rabbitmq-dotnet-client#1871). When the connection is still down after
    /// <see cref="RecoveryGrace"/>, it is dropped and a new one is made the way the first was, retrying until the
    /// broker answers; routes answer 503 meanwhile as before.
    async Task WatchRecoveryAsync(IConnection lost)
    {
        var started = _time.GetTimestamp();
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await Task.Delay(_definition.RecoveryInterval, _time, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (_stopping.IsCancellationRequested || !ReferenceEquals(_connection, lost)) return;
                if (!_recovering && lost.IsOpen) return;
                if (_time.GetElapsedTime(started) < RecoveryGrace) continue;
                LogRecoveryStalled(_logger, _service, Endpoint, RecoveryGrace);
                _connection = null;
                await CloseQuietlyAsync(lost).ConfigureAwait(false);
                await ConnectAsync().ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            Volatile.Write(ref _watching, 0);
        }
    }

    static async Task CloseQuietlyAsync(IConnection connection)
    {
        try
        {
            await connection.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RabbitMQClientException or IOException or OperationCanceledException or TimeoutException)
        {
        }
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RabbitMQClientException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    Task OnRecoverySucceededAsync(object sender, AsyncEventArgs args)
    {
        _recovering = false;
        LogRecovered(_logger, _service, Endpoint);
        return Task.CompletedTask;
    }

    /// Publishes with the mandatory flag and returns once the broker confirmed (or refused) the message.
    public async Task<AmqpOutcome> PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!IsConfigured) return new AmqpOutcome(AmqpOutcomeKind.NotConfigured);
        var channel = await PublishChannelAsync(cancellationToken).ConfigureAwait(false);
        if (channel is null) return new AmqpOutcome(AmqpOutcomeKind.Unavailable);
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, linked.Token).ConfigureAwait(false);
            return AmqpOutcome.Confirmed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Classify(ex, channel, deadline);
        }
    }

    /// Publishes with reply-to = direct reply-to and waits for the reply with the properties' correlation id.
    public async Task<AmqpOutcome> CallAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!IsConfigured) return new AmqpOutcome(AmqpOutcomeKind.NotConfigured);
        var rpc = await RpcChannelAsync(cancellationToken).ConfigureAwait(false);
        if (rpc is null) return new AmqpOutcome(AmqpOutcomeKind.Unavailable);
        var correlationId = properties.CorrelationId ?? throw new ArgumentException("an RPC call needs a correlation id", nameof(properties));
        properties.ReplyTo = DirectReplyTo;
        var pending = rpc.Expect(correlationId);
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await rpc.Channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, linked.Token).ConfigureAwait(false);
            var reply = await pending.WaitAsync(linked.Token).ConfigureAwait(false);
            return new AmqpOutcome(AmqpOutcomeKind.Accepted, Reply: reply);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Classify(ex, rpc.Channel, deadline);
        }
        finally
        {
            rpc.Forget(correlationId);
        }
    }

    static AmqpOutcome Classify(Exception ex, IChannel channel, CancellationTokenSource deadline) => ex switch
    {
        PublishReturnException returned => new AmqpOutcome(AmqpOutcomeKind.Unroutable, $"{returned.ReplyCode} {returned.ReplyText}"),
        PublishException => new AmqpOutcome(AmqpOutcomeKind.Nacked),
        OperationCanceledException when deadline.IsCancellationRequested => new AmqpOutcome(AmqpOutcomeKind.TimedOut),
        // A channel error (404 no such exchange, 403 access refused) closes only the channel: the broker refused this publish.
        _ when channel.CloseReason is { Initiator: ShutdownInitiator.Peer, ReplyCode: 403 or 404 } reason => new AmqpOutcome(AmqpOutcomeKind.Refused, reason.ReplyText),
        _ => new AmqpOutcome(AmqpOutcomeKind.Unavailable, ex.GetBaseException().Message),
    };

    async ValueTask<IChannel?> PublishChannelAsync(CancellationToken cancellationToken)
    {
        var channel = _publishChannel;
        if (channel is { IsOpen: true }) return channel;
        if (!IsConnected) return null;
        await _channelGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            channel = _publishChannel;
            if (channel is { IsOpen: true }) return channel;
            if (!IsConnected) return null;
            // Closed by a channel error while the connection stayed up: recovery will not bring it back.
            if (channel is not null) await DisposeQuietlyAsync(channel).ConfigureAwait(false);
            _publishChannel = channel = await _connection!.CreateChannelAsync(ConfirmedChannel, cancellationToken).ConfigureAwait(false);
            return channel;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogChannelFailed(_logger, _service, ex.GetBaseException().Message);
            return null;
        }
        finally
        {
            _channelGate.Release();
        }
    }

    async ValueTask<RpcChannel?> RpcChannelAsync(CancellationToken cancellationToken)
    {
        var rpc = _rpcChannel;
        if (rpc is { Channel.IsOpen: true }) return rpc;
        if (!IsConnected) return null;
        await _channelGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            rpc = _rpcChannel;
            if (rpc is { Channel.IsOpen: true }) return rpc;
            if (!IsConnected) return null;
            if (rpc is not null) await DisposeQuietlyAsync(rpc.Channel).ConfigureAwait(false);
            var channel = await _connection!.CreateChannelAsync(ConfirmedChannel, cancellationToken).ConfigureAwait(false);
            _rpcChannel = rpc = await RpcChannel.StartAsync(channel, cancellationToken).ConfigureAwait(false);
            return rpc;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogChannelFailed(_logger, _service, ex.GetBaseException().Message);
            return null;
        }
        finally
        {
            _channelGate.Release();
        }
    }

    static async Task DisposeQuietlyAsync(IChannel channel)
    {
        try
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RabbitMQClientException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _connecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _channelGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_connection is { } connection) await CloseQuietlyAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            _channelGate.Release();
        }
        _stopping.Dispose();
    }

    /// A channel consuming direct reply-to, and the calls waiting for a reply on it by correlation id. Replies
    /// that nobody waits for (the call timed out) are dropped.
    sealed class RpcChannel
    {
        readonly ConcurrentDictionary<string, TaskCompletionSource<AmqpReply>> _pending = new(StringComparer.Ordinal);

        RpcChannel(IChannel channel) => Channel = channel;

        public IChannel Channel { get; }

        public static async Task<RpcChannel> StartAsync(IChannel channel, CancellationToken cancellationToken)
        {
            var rpc = new RpcChannel(channel);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += rpc.OnReplyAsync;
            channel.ChannelShutdownAsync += rpc.OnShutdownAsync;
            await channel.BasicConsumeAsync(DirectReplyTo, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
            return rpc;
        }

        public Task<AmqpReply> Expect(string correlationId)
        {
            var pending = new TaskCompletionSource<AmqpReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_pending.TryAdd(correlationId, pending)) throw new InvalidOperationException($"correlation id '{correlationId}' is already waiting");
            return pending.Task;
        }

        public void Forget(string correlationId) => _pending.TryRemove(correlationId, out _);

        Task OnReplyAsync(object sender, BasicDeliverEventArgs args)
        {
            if (args.BasicProperties.CorrelationId is { } id && _pending.TryRemove(id, out var pending))
                pending.TrySetResult(new AmqpReply(args.Body.ToArray(), args.BasicProperties.ContentType, StatusOf(args.BasicProperties.Headers)));
            return Task.CompletedTask;
        }

        /// Replies travel on this channel only: once it closes, no call waiting on it can get one.
        Task OnShutdownAsync(object sender, ShutdownEventArgs args)
        {
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var pending))
                    pending.TrySetException(new AlreadyClosedException(args));
            }
            return Task.CompletedTask;
        }

        static int? StatusOf(IDictionary<string, object?>? headers)
        {
            if (headers is null || !headers.TryGetValue(StatusHeader, out var value)) return null;
            int? status = value switch
            {
                byte[] text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) => parsed,
                string text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) => parsed,
                int number => number,
                long number when number is >= 0 and <= 999 => (int)number,
                short number => number,
                byte number => number,
                _ => null,
            };
            return status is >= 200 and <= 599 ? status : null;
        }
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Service {Service}: connected to the broker at {Endpoint}")]
    static partial void LogConnected(ILogger logger, string service, string endpoint);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "Service {Service}: the broker at {Endpoint} is unreachable ({Reason}); retrying every {Interval}, its routes answer 503 meanwhile")]
    static partial void LogUnreachable(ILogger logger, string service, string endpoint, string reason, TimeSpan interval);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Debug, Message = "Service {Service}: the broker at {Endpoint} is still unreachable ({Reason})")]
    static partial void LogStillUnreachable(ILogger logger, string service, string endpoint, string reason);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Warning, Message = "Service {Service}: lost the connection to the broker at {Endpoint} ({Reason}); recovering")]
    static partial void LogConnectionLost(ILogger logger, string service, string endpoint, string reason);

    [LoggerMessage(EventId = 1808, Level = LogLevel.Warning, Message = "Service {Service}: the connection to the broker at {Endpoint} did not recover within {Grace}; reconnecting")]
    static partial void LogRecoveryStalled(ILogger logger, string service, string endpoint, TimeSpan grace);

    [LoggerMessage(EventId = 1805, Level = LogLevel.Information, Message = "Service {Service}: the connection to the broker at {Endpoint} is recovered")]
    static partial void LogRecovered(ILogger logger, string service, string endpoint);

    [LoggerMessage(EventId = 1806, Level = LogLevel.Warning, Message = "Service {Service}: could not open a channel: {Reason}")]
    static partial void LogChannelFailed(ILogger logger, string service, string reason);

    [LoggerMessage(EventId = 1807, Level = LogLevel.Information, Message = "Service {Service}: no broker is configured (empty url); its routes answer 503")]
    static partial void LogNotConfigured(ILogger logger, string service);
}

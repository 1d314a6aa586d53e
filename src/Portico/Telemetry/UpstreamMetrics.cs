using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Portico.Telemetry;

/// <summary>
/// The instruments of the calls the gateway makes to its services (every kind: proxy, aggregate parts, gRPC,
/// GraphQL, AMQP, session logins), their retries and circuit breakers, and the health of their destinations.
/// Tag values are bounded: config names, destination hosts from the config, fixed outcome words.
/// </summary>
internal sealed class UpstreamMetrics : IDisposable
{
    /// How a call ended, as the `portico.outcome` tag.
    public static class Outcomes
    {
        public const string Success = "success";
        public const string HttpError = "http_error";
        public const string Timeout = "timeout";
        public const string ConnectError = "connect_error";
        public const string CircuitOpen = "circuit_open";
        public const string NoDestination = "no_destination";
        public const string Canceled = "canceled";
        public const string Nacked = "nacked";
        public const string Unroutable = "unroutable";
        public const string Refused = "refused";
        public const string Unavailable = "unavailable";
        public const string RpcError = "rpc_error";
        public const string Confirmed = "confirmed";
        public const string Error = "error";
    }

    /// The `portico.upstream.kind` tag values.
    public static class Kinds
    {
        public const string Proxy = "proxy";
        public const string Aggregate = "aggregate";
        public const string Grpc = "grpc";
        public const string GraphQL = "graphql";
        public const string Amqp = "amqp";
        public const string Session = "session";
    }

    const string HealthCheck = "portico.health.check";
    const string BreakerState = "portico.circuit_breaker.state";

    readonly Meter _meter;
    readonly Histogram<double> _duration;
    readonly Counter<long> _retries;
    readonly Counter<long> _budgetExhausted;
    readonly Counter<long> _transitions;
    readonly Counter<long> _publishes;
    Func<IEnumerable<BreakerReading>> _breakers = static () => [];
    Func<IEnumerable<HealthReading>> _health = static () => [];

    public UpstreamMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(PorticoDiagnostics.MeterName, PorticoDiagnostics.ServiceVersion);
        _duration = _meter.CreateHistogram<double>("portico.upstream.request.duration", "s",
            "Duration of each call (each attempt) to an upstream service, by service, destination, kind and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });
        _retries = _meter.CreateCounter<long>("portico.upstream.retries", "{retry}", "Retries sent to a service.");
        _budgetExhausted = _meter.CreateCounter<long>("portico.upstream.retry_budget.exhausted", "{request}",
            "Retries a service's retry budget refused.");
        _transitions = _meter.CreateCounter<long>("portico.circuit_breaker.transitions", "{transition}",
            "Circuit breaker state changes, by service and the state entered.");
        _publishes = _meter.CreateCounter<long>("portico.amqp.publishes", "{message}", "Messages published to a broker, by service and outcome.");
        _meter.CreateObservableGauge("portico.circuit_breaker.state", ObserveBreakers, null,
            "A service's circuit breaker: 0 closed, 1 open, 2 half-open.");
        _meter.CreateObservableGauge("portico.destination.healthy", ObserveDestinations, null,
            "1 while a destination passes its health check (active probe or passive ejection), 0 otherwise.");
    }

    /// A service's circuit breaker now: 0 closed, 1 open, 2 half-open.
    public readonly record struct BreakerReading(string Service, int State);

    /// One health check of one destination now; <paramref name="Check"/> is active or passive.
    public readonly record struct HealthReading(string Service, Uri Destination, string Check, bool Healthy);

    /// What the gauges report, read at collection time (the registry's current services).
    public void Observe(Func<IEnumerable<BreakerReading>> breakers, Func<IEnumerable<HealthReading>> health)
    {
        _breakers = breakers;
        _health = health;
    }

    public bool DurationEnabled => _duration.Enabled;

    /// One call to a service; <paramref name="destination"/> is null when none was reached (circuit open, no destination).
    public void RecordCall(string service, string kind, Uri? destination, string outcome, int? status, TimeSpan elapsed)
    {
        if (!_duration.Enabled) return;
        var tags = new TagList
        {
            { TagNames.Service, service },
            { TagNames.UpstreamKind, kind },
            { TagNames.Outcome, outcome },
        };
        if (destination is not null)
        {
            tags.Add(TagNames.ServerAddress, destination.Host);
            tags.Add(TagNames.ServerPort, destination.Port);
        }
        if (status is { } code) tags.Add(TagNames.Status, code);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void Retried(string service) => _retries.Add(1, new KeyValuePair<string, object?>(TagNames.Service, service));

    public void RetryBudgetExhausted(string service) => _budgetExhausted.Add(1, new KeyValuePair<string, object?>(TagNames.Service, service));

    /// <paramref name="state"/>: open, half_open or closed.
    public void BreakerTransition(string service, string state) =>
        _transitions.Add(1, new KeyValuePair<string, object?>(TagNames.Service, service), new KeyValuePair<string, object?>(BreakerState, state));

    public void Published(string service, string outcome) =>
        _publishes.Add(1, new KeyValuePair<string, object?>(TagNames.Service, service), new KeyValuePair<string, object?>(TagNames.Outcome, outcome));

    IEnumerable<Measurement<int>> ObserveBreakers() =>
        _breakers().Select(static b => new Measurement<int>(b.State, new KeyValuePair<string, object?>(TagNames.Service, b.Service)));

    IEnumerable<Measurement<int>> ObserveDestinations() =>
        _health().Select(static h => new Measurement<int>(h.Healthy ? 1 : 0, new KeyValuePair<string, object?>(TagNames.Service, h.Service),
            new KeyValuePair<string, object?>(TagNames.ServerAddress, h.Destination.Host),
            new KeyValuePair<string, object?>(TagNames.ServerPort, h.Destination.Port),
            new KeyValuePair<string, object?>(HealthCheck, h.Check)));

    /// The factory disposes its meters too; disposing twice is harmless.
    public void Dispose() => _meter.Dispose();
}

namespace Portico.Bench;

/// A benchmark that cannot go on (a target did not start, answered wrongly, wrk failed).
sealed class BenchException(string message) : Exception(message);

-- Prints one line wrk's caller can parse: counts, bytes, latency percentiles in microseconds, error counts.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write("BENCH ", string.format(
    "requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50.0), latency:percentile(99.0), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end

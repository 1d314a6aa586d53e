namespace Portico.Demo;

/// A demo server could not bind its fixed loopback port because something else listens there.
public sealed class DemoPortInUseException(string server, string ports, Exception inner)
    : Exception($"Port {ports} (needed by {server}) is already in use on 127.0.0.1. Stop whatever listens there and run the demo again.", inner)
{
    public string Server { get; } = server;
    public string Ports { get; } = ports;
}

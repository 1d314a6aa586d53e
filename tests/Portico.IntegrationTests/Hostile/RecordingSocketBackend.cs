using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Hostile;

/// An HTTP/1.1 upstream on a bare TcpListener that records every byte it receives, so a test sees exactly what
/// went over the wire (a header split by CR/LF, a second smuggled request, a raw NUL) where Kestrel would have
/// parsed, rejected or normalized it. Answers each request head with 200 and a JSON body chosen per request line.
public sealed class RecordingSocketBackend : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    readonly MemoryStream _bytes = new();
    readonly List<string> _heads = [];
    readonly Func<string, string> _answer;
    readonly Task _accepting;

    RecordingSocketBackend(Func<string, string> answer)
    {
        _answer = answer;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// Everything received so far, as Latin-1 (one char per byte, so a NUL or CR stays visible).
    public string Raw
    {
        get
        {
            lock (_bytes) return Encoding.Latin1.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length);
        }
    }

    /// The request heads (request line and header lines, up to the blank line) received so far, in order.
    public IReadOnlyList<string> Heads
    {
        get
        {
            lock (_bytes) return [.. _heads];
        }
    }

    /// <param name="answer">The JSON body to answer, given the request line ("GET /path HTTP/1.1"); `{}` when null.</param>
    public static RecordingSocketBackend Start(Func<string, string>? answer = null) => new(answer ?? (_ => "{\"ok\":true}"));

    async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(socket));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        await Task.WhenAll(connections);
    }

    async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var pending = new List<byte>();
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                lock (_bytes) _bytes.Write(buffer, 0, read);
                pending.AddRange(buffer.AsSpan(0, read));
                while (TryTakeRequest(pending, out var head))
                {
                    lock (_bytes) _heads.Add(head);
                    var body = Encoding.UTF8.GetBytes(_answer(head.Split("\r\n")[0]));
                    var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
                    await stream.WriteAsync(answer, _stop.Token);
                    await stream.WriteAsync(body, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    /// Takes one request (head plus a Content-Length body) off the front of <paramref name="pending"/>.
    static bool TryTakeRequest(List<byte> pending, out string head)
    {
        head = "";
        var text = Encoding.Latin1.GetString([.. pending]);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return false;
        head = text[..end];
        var length = 0;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        if (pending.Count < end + 4 + length) return false;
        pending.RemoveRange(0, end + 4 + length);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}

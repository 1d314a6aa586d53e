using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Transport;

/// WebSockets pass through; clients may speak HTTP/2 (TLS + ALPN); shutdown drains in-flight requests.
public sealed class ProtocolTests
{
    static string Routes(TestBackend backend) => $$"""
        services:
          app: { urls: ["{{backend.Url}}"] }
        routes:
          - name: all
            match: { path: "/{**rest}" }
            service: app
        """;

    [Fact]
    public async Task WebSocket_UpgradesThroughGatewayAndEchoes()
    {
        await using var backend = await TestBackend.StartAsync("ws", app =>
        {
            app.UseWebSockets();
            app.Map("/ws", async (HttpContext context) =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = 400;
                    return;
                }
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                        return;
                    }
                    var echo = Encoding.UTF8.GetBytes("echo:" + Encoding.UTF8.GetString(buffer, 0, result.Count));
                    await socket.SendAsync(echo, WebSocketMessageType.Text, true, CancellationToken.None);
                }
            });
        });
        await using var gateway = await GatewayUnderTest.StartAsync(Routes(backend));
        var ct = TestContext.Current.CancellationToken;
        using var client = new ClientWebSocket();

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.BaseAddress().Port}/ws"), ct);
        await client.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        var buffer = new byte[1024];
        var received = await client.ReceiveAsync(buffer, ct);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);

        Encoding.UTF8.GetString(buffer, 0, received.Count).ShouldBe("echo:hello");
        client.State.ShouldBe(WebSocketState.Closed);
    }

    [Fact]
    public async Task Http2Client_OverTls_IsServedWithHttp2()
    {
        await using var backend = await TestBackend.StartAsync("h2");
        var certDir = Directory.CreateTempSubdirectory("portico-cert-");
        var pfx = Path.Combine(certDir.FullName, "server.pfx");
        var (pfxBytes, thumbprint) = CreateSelfSignedPfx("s3cret");
        await File.WriteAllBytesAsync(pfx, pfxBytes, TestContext.Current.CancellationToken);
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            gateways:
              default:
                listen: ["https://127.0.0.1:0"]
                tls: { certificate: "{{pfx}}", password: s3cret }
            {{Routes(backend)}}
            """);
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint },
        };
        using var client = new HttpClient(handler)
        {
            BaseAddress = new Uri($"https://127.0.0.1:{gateway.BaseAddress().Port}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.GetAsync("/anything", TestContext.Current.CancellationToken);

        response.Version.ShouldBe(HttpVersion.Version20);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("\"backend\":\"h2\"");
        var seen = backend.Received.Single();
        seen.Headers["X-Forwarded-Proto"].ShouldBe("https");
        certDir.Delete(recursive: true);
    }

    [Fact]
    public async Task Shutdown_DrainsInFlightRequest()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("slow", app => app.MapGet("/slow", async () =>
        {
            started.TrySetResult();
            await release.Task;
            return Results.Text("finished");
        }));
        var gateway = await GatewayUnderTest.StartAsync(Routes(backend));
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var inFlight = client.GetAsync("/slow", ct);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        var stopping = gateway.App.StopAsync(ct);
        stopping.IsCompleted.ShouldBeFalse();
        release.TrySetResult();
        using var response = await inFlight;
        await stopping;

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(ct)).ShouldBe("finished");
        await gateway.DisposeAsync();
    }

    static (byte[] Pfx, string Thumbprint) CreateSelfSignedPfx(string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return (cert.Export(X509ContentType.Pfx, password), cert.GetCertHashString());
    }
}

using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Transport;

/// Bodies go through the gateway as they are produced, in both directions: nothing waits for a whole body.
public sealed class StreamingTests
{
    static string Config(TestBackend backend) => $$"""
        services:
          stream: { urls: ["{{backend.Url}}"] }
        routes:
          - name: all
            match: { path: "/{**rest}" }
            service: stream
        """;

    [Fact]
    public async Task ResponseBody_FirstChunkArrivesBeforeUpstreamFinishes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("stream", app => app.MapGet("/chunks", async (HttpContext context) =>
        {
            await context.Response.WriteAsync("first;");
            await context.Response.Body.FlushAsync();
            await release.Task;
            await context.Response.WriteAsync("second");
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        using var response = await client.GetAsync("/chunks", HttpCompletionOption.ResponseHeadersRead, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var first = await ReadAtLeastAsync(body, "first;".Length, ct);

        first.ShouldBe("first;");
        release.TrySetResult();
        using var reader = new StreamReader(body);
        var rest = await reader.ReadToEndAsync(ct);
        rest.ShouldBe("second");
    }

    [Fact]
    public async Task RequestBody_UpstreamReadsFirstPartBeforeClientSendsTheRest()
    {
        // The client sends 64 KiB and then waits; the upstream must get (most of) it before the client goes on,
        // which cannot happen if the gateway buffered the whole body. Small writes may sit in a socket write
        // buffer of a few KiB, so the upstream only waits for half of the first part.
        const int firstPart = 64 * 1024;
        const int upstreamWaitsFor = firstPart / 2;
        var firstSeen = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("stream", app => app.MapPost("/upload", async (HttpContext context) =>
        {
            var buffer = new byte[upstreamWaitsFor];
            await context.Request.Body.ReadExactlyAsync(buffer);
            firstSeen.TrySetResult(buffer.Length);
            var total = buffer.Length;
            var chunk = new byte[8192];
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk)) > 0) total += read;
            return Results.Text(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var secondPart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var content = new FlushingContent([new byte[firstPart], new byte[1000]], secondPart.Task);

        var send = client.PostAsync("/upload", content, ct);
        var seen = await firstSeen.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        secondPart.TrySetResult();
        using var response = await send;

        seen.ShouldBe(upstreamWaitsFor);
        (await response.Content.ReadAsStringAsync(ct)).ShouldBe((firstPart + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ServerSentEvents_EventArrivesWhileStreamStaysOpen()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("events", app => app.MapGet("/events", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("event: greeting\ndata: hello\n\n");
            await context.Response.Body.FlushAsync();
            await release.Task;
            await context.Response.WriteAsync("data: bye\n\n");
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        using var response = await client.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var line1 = await reader.ReadLineAsync(ct);
        var line2 = await reader.ReadLineAsync(ct);

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        line1.ShouldBe("event: greeting");
        line2.ShouldBe("data: hello");
        release.TrySetResult();
        (await reader.ReadToEndAsync(ct)).ShouldContain("data: bye");
    }

    [Fact]
    public async Task DeclaredBodyOverLimit_Answers413AndUpstreamNeverSeesIt()
    {
        await using var backend = await TestBackend.StartAsync("upload");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend) + """

            server:
              limits: { maxRequestBodySize: 1KiB }
            """);
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        using var content = new ByteArrayContent(new byte[4096]);
        using var response = await client.PostAsync("/upload", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task ChunkedBodyGrowingOverLimit_Answers413()
    {
        await using var backend = await TestBackend.StartAsync("upload", app => app.MapPost("/upload", async (HttpContext context) =>
        {
            var total = 0;
            var chunk = new byte[8192];
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk)) > 0) total += read;
            return Results.Text(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend) + """

            server:
              limits: { maxRequestBodySize: 16KiB }
            """);
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        using var content = new FlushingContent([new byte[8 * 1024], new byte[64 * 1024]], Task.CompletedTask);

        using var response = await client.PostAsync("/upload", content, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    /// Sends its first part, flushes, and sends the rest only once <c>gate</c> completes.
    sealed class FlushingContent(byte[][] parts, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < parts.Length; i++)
            {
                if (i == 1) await gate;
                await stream.WriteAsync(parts[i]);
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    static async Task<string> ReadAtLeastAsync(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return Encoding.ASCII.GetString(buffer);
    }
}

using System.Net;

namespace Portico.IntegrationTests.RateLimiting;

/// Fires requests concurrently from many clients (each its own connection pool) and counts the answers.
internal static class Burst
{
    public sealed record Result(int Admitted, int Rejected, int Other, IReadOnlyList<HttpResponseMessage> Responses);

    public static async Task<Result> FireAsync(IReadOnlyList<Uri> nodes, string path, int clients, int requestsPerClient, CancellationToken cancellationToken)
    {
        var httpClients = Enumerable.Range(0, clients)
            .Select(c => new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = nodes[c % nodes.Count] })
            .ToList();
        try
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = new List<Task<HttpResponseMessage>>();
            for (var c = 0; c < clients; c++)
            {
                var client = httpClients[c];
                for (var i = 0; i < requestsPerClient; i++)
                {
                    tasks.Add(Task.Run(async () =>
                    {
                        await start.Task;
                        var response = await client.GetAsync(path, cancellationToken);
                        await response.Content.LoadIntoBufferAsync(cancellationToken);
                        return response;
                    }, cancellationToken));
                }
            }
            start.SetResult();
            var responses = await Task.WhenAll(tasks);
            return new Result(
                responses.Count(r => r.StatusCode == HttpStatusCode.OK),
                responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests),
                responses.Count(r => r.StatusCode is not HttpStatusCode.OK and not HttpStatusCode.TooManyRequests),
                responses);
        }
        finally
        {
            foreach (var client in httpClients) client.Dispose();
        }
    }
}

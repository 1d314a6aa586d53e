namespace Portico.IntegrationTests.Infrastructure;

public static class BackendExtensions
{
    /// How many requests with this method reached the backend at exactly this path (query ignored).
    public static int CallsTo(this TestBackend backend, string path, string method = "GET") =>
        backend.Received.Count(r => r.Method == method && r.PathAndQuery.Split('?')[0] == path);
}

using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Telemetry;

/// The access log a gateway under test writes beside its config (`output: access.log`), read back line by line.
internal static class AccessLogFile
{
    public static string PathOf(GatewayUnderTest gateway) => Path.Combine(Path.GetDirectoryName(gateway.ConfigPath)!, "access.log");

    /// The file's text so far (the writer keeps it open for appending; others may read).
    public static string Text(GatewayUnderTest gateway)
    {
        var path = PathOf(gateway);
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static string[] Lines(GatewayUnderTest gateway) => Text(gateway).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// Waits for at least <paramref name="count"/> lines (each written once its request ended) and parses them all.
    public static async Task<List<JsonElement>> WaitForAsync(GatewayUnderTest gateway, int count)
    {
        await Poll.UntilAsync(() => Lines(gateway).Length >= count, TimeSpan.FromSeconds(10));
        return [.. Lines(gateway).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// Stops the gateway (which writes out and closes the log) and parses every line.
    public static async Task<List<JsonElement>> StopAndReadAsync(GatewayUnderTest gateway)
    {
        await gateway.App.StopAsync(TestContext.Current.CancellationToken);
        return [.. Lines(gateway).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// The line of the request to <paramref name="path"/> (the log holds no query, so paths tell requests apart).
    public static JsonElement For(this List<JsonElement> lines, string path) => lines.Single(l => l.GetProperty("path").GetString() == path);

    public static string? Str(this JsonElement line, string field) => line.GetProperty(field).ValueKind == JsonValueKind.Null ? null : line.GetProperty(field).GetString();
}

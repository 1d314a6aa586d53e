namespace Portico.Bench;

static class Log
{
    public static void Info(string text) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {text}");
}

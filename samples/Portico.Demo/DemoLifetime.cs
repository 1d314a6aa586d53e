using Microsoft.Extensions.Hosting;

namespace Portico.Demo;

/// A host lifetime that ignores Ctrl+C: the demo runs several hosts in one process and stops them together,
/// gateway first, instead of letting each one react to the signal on its own.
internal sealed class DemoLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

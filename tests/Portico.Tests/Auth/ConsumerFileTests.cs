using Portico.Auth;

namespace Portico.Tests.Auth;

public sealed class ConsumerFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-consumer-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Load_MissingFile_IsEmpty()
    {
        ConsumerFile.Load(Path.Combine(_dir, "none.json")).Consumers.ShouldBeEmpty();
    }

    [Fact]
    public async Task Update_ConcurrentWriters_LoseNoChange_AndLeaveNoTempFile()
    {
        var path = Path.Combine(_dir, "consumers.json");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => ConsumerFile.Update(path, data =>
        {
            data.Consumers.Add(new ConsumerFile.StoredConsumer($"c{i}", [], []));
            return true;
        }), TestContext.Current.CancellationToken)));

        ConsumerFile.Load(path).Consumers.Select(c => c.Id).Order().ShouldBe(Enumerable.Range(0, 8).Select(i => $"c{i}").Order());
        Directory.GetFiles(_dir, "*.tmp").ShouldBeEmpty();
    }
}

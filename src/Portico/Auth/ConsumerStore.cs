using Portico.Configuration;

namespace Portico.Auth;

/// Where consumers and keys created at runtime (by the CLI) are kept: the consumers file beside the config, or, with
/// `store: redis`, Redis, which every gateway node reads.
internal abstract class ConsumerStore : IDisposable
{
    /// For messages: "the consumers file …" or "Redis at …".
    public abstract string Description { get; }

    public abstract ConsumerFile.Data Load();

    /// Reads, changes and writes as one step (no concurrent change is lost); returns what <paramref name="change"/> returned.
    public abstract T Update<T>(Func<ConsumerFile.Data, T> change);

    public static ConsumerStore Open(string configPath, PorticoConfig config) =>
        config.Store is { Kind: StoreKind.Redis } store
            ? new RedisConsumerStore(store)
            : new FileConsumerStore(ConsumerFile.PathFor(configPath, config.Auth));

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// The consumers file (see <see cref="ConsumerFile"/>).
internal sealed class FileConsumerStore(string path) : ConsumerStore
{
    public string Path => path;
    public override string Description => $"the consumers file {path}";
    public override ConsumerFile.Data Load() => ConsumerFile.Load(path);
    public override T Update<T>(Func<ConsumerFile.Data, T> change) => ConsumerFile.Update(path, change);
}

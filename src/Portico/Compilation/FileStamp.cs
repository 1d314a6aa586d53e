namespace Portico.Compilation;

/// What a file looks like from outside (size and last write): equal stamps some time apart mean no one wrote in between.
internal readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    /// The file's stamp, or null when it is missing or cannot be opened for reading now (a writer holds it
    /// exclusively: .NET's FileShare.None takes an advisory lock on Unix).
    public static FileStamp? Of(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var info = new FileInfo(path);
            return new FileStamp(probe.Length, info.LastWriteTimeUtc);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

using SharpFuzz;

namespace Portico.Fuzz;

/// Fuzz harnesses for Portico's parsers. `Portico.Fuzz HARNESS` under the libFuzzer driver (fuzz/driver) runs the
/// SharpFuzz loop; `Portico.Fuzz HARNESS FILE...` replays inputs (a crash file, a corpus) and prints what threw.
public static class Program
{
    static readonly Dictionary<string, Func<ReadOnlySpanAction>> Harnesses = new(StringComparer.Ordinal)
    {
        ["config"] = () => ConfigHarness.Run,
        ["xml2json"] = () => XmlToJsonHarness.Run,
        ["json2xml"] = () => JsonToXmlHarness.Run,
        ["json2proto"] = () => JsonToProtobufHarness.Create().Run,
        ["path"] = () => PathTemplateHarness.Run,
        ["rewrite"] = () => RewriteTemplateHarness.Run,
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Harnesses.TryGetValue(args[0], out var create))
        {
            Console.Error.WriteLine($"usage: Portico.Fuzz <{string.Join('|', Harnesses.Keys)}> [input files...]");
            return 2;
        }
        // Instrumented code run before the SharpFuzz loop (a harness's setup, a replay) needs a coverage map to write to.
        unsafe
        {
            SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
        }
        var action = create();
        // The driver passes the shared memory id in the environment; without it, replay the files given.
        if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") is not null)
        {
            Fuzzer.LibFuzzer.Run(action);
            return 0;
        }
        var failed = 0;
        foreach (var file in args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]))
        {
            try
            {
                action(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failed++;
                Console.Error.WriteLine($"{file}: {ex}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}

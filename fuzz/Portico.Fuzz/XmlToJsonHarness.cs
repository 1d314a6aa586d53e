using System.Buffers;
using System.Text.Json;
using System.Xml;
using Portico.Formats;

namespace Portico.Fuzz;

/// XML bytes → JSON, as the XML request middleware does. Refusals are the exceptions it turns into a 400; a
/// conversion that succeeds must have written one well-formed JSON value. The middleware also answers 400 for
/// ArgumentException and InvalidOperationException; the harness accepts those only from System.Xml's reader (it has
/// thrown ArgumentOutOfRangeException on a broken declaration), since from the converter they mean a bug.
static class XmlToJsonHarness
{
    const int MaxDepth = 64;

    public static void Run(ReadOnlySpan<byte> data)
    {
        var json = new ArrayBufferWriter<byte>();
        try
        {
            using var stream = new MemoryStream(data.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, XmlToJsonConverter.ReaderSettings(1024 * 1024));
            using var writer = new Utf8JsonWriter(json);
            XmlToJsonConverter.Convert(reader, writer, MaxDepth);
        }
        catch (Exception ex) when (ex is XmlException or XmlBodyException || ((ex is ArgumentException or InvalidOperationException) && FromSystemXml(ex)))
        {
            return;
        }
        using var document = JsonDocument.Parse(json.WrittenMemory, new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
    }

    /// True when the innermost frame from System.Xml or Portico is System.Xml's.
    static bool FromSystemXml(Exception ex)
    {
        foreach (var frame in new System.Diagnostics.StackTrace(ex).GetFrames())
        {
            var ns = frame.GetMethod()?.DeclaringType?.Namespace ?? "";
            if (ns.StartsWith("System.Xml", StringComparison.Ordinal)) return true;
            if (ns.StartsWith("Portico", StringComparison.Ordinal)) return false;
        }
        return false;
    }
}

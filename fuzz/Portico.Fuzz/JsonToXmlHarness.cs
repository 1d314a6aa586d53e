using System.Text.Json;
using System.Xml;
using Portico.Formats;

namespace Portico.Fuzz;

/// JSON bytes → XML through the streaming transcoder. The first byte picks the chunk sizes the body arrives in;
/// the rest is the body. Checks: the chunked run (on a pooled, reused transcoder) and the whole-body run (on a fresh
/// one) agree byte for byte; only JsonException refuses; accepted JSON is what Utf8JsonReader accepts, and its XML
/// is well-formed.
static class JsonToXmlHarness
{
    static readonly JsonDocumentOptions Reference = new() { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 };

    static readonly XmlReaderSettings StrictXml = new() { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        var split = data[0];
        var body = data[1..];

        var whole = new JsonToXmlTranscoder(XmlFormatOptions.Default);
        var expected = Transcode(whole, body, 0);
        whole.Dispose();

        var pooled = JsonToXmlTranscoder.Rent(XmlFormatOptions.Default);
        var chunked = Transcode(pooled, body, split);
        JsonToXmlTranscoder.Return(pooled);

        FuzzAssert.True((expected is null) == (chunked is null), $"chunks (split {split}) change acceptance: whole {(expected is null ? "refused" : "accepted")}");
        if (expected is not null)
            FuzzAssert.True(expected.AsSpan().SequenceEqual(chunked), $"chunks (split {split}) change the XML");

        var referenceAccepts = ReferenceAccepts(body);
        if (expected is not null)
        {
            FuzzAssert.True(referenceAccepts, "the transcoder accepted JSON that Utf8JsonReader refuses");
            using var reader = XmlReader.Create(new MemoryStream(expected), StrictXml);
            while (reader.Read())
            {
            }
        }
        else
        {
            FuzzAssert.True(!referenceAccepts, "the transcoder refused JSON that Utf8JsonReader accepts with valid strings");
        }
    }

    /// XML bytes, or null when the transcoder refused the body. <paramref name="split"/> 0 writes the body whole;
    /// otherwise chunk sizes cycle through (split % 7 + 1) and (split / 7 % 37 + 1) bytes.
    static byte[]? Transcode(JsonToXmlTranscoder transcoder, ReadOnlySpan<byte> body, byte split)
    {
        var output = new MemoryStream();
        try
        {
            if (split == 0)
            {
                transcoder.Write(body);
                Drain(transcoder, output);
            }
            else
            {
                int[] sizes = [split % 7 + 1, split / 7 % 37 + 1];
                for (int at = 0, i = 0; at < body.Length; i++)
                {
                    var size = Math.Min(sizes[i % 2], body.Length - at);
                    transcoder.Write(body.Slice(at, size));
                    Drain(transcoder, output);
                    at += size;
                }
            }
            transcoder.Complete();
            Drain(transcoder, output);
            return output.ToArray();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static void Drain(JsonToXmlTranscoder transcoder, MemoryStream output)
    {
        output.Write(transcoder.Output.Span);
        transcoder.Consume();
    }

    /// Utf8JsonReader's verdict, narrowed as the transcoder documents: strings must be valid UTF-8 without lone surrogates.
    static bool ReferenceAccepts(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), Reference);
            return StringsValid(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    static bool StringsValid(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return WellFormed(element.GetString()!);
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                    if (!StringsValid(item)) return false;
                return true;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    if (!WellFormed(property.Name) || !StringsValid(property.Value)) return false;
                return true;
            default:
                return true;
        }
    }

    static bool WellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }
}

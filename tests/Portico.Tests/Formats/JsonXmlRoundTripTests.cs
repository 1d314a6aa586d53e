using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using CsCheck;
using Portico.Formats;

namespace Portico.Tests.Formats;

public sealed class JsonXmlRoundTripTests
{
    internal static string ToXml(string json, int chunk = 7, XmlFormatOptions? options = null)
    {
        var output = new ArrayBufferWriter<byte>();
        using var transcoder = new JsonToXmlTranscoder(options ?? XmlFormatOptions.Default);
        var bytes = Encoding.UTF8.GetBytes(json);
        // Small chunks: tokens are split across writes, as they are on the wire; output is taken as it comes.
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            transcoder.Write(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
            output.Write(transcoder.Output.Span);
            transcoder.Consume();
        }
        transcoder.Complete();
        output.Write(transcoder.Output.Span);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    internal static string ToJson(string xml, int maxDepth = 64)
    {
        using var reader = XmlReader.Create(new StringReader(xml), XmlToJsonConverter.ReaderSettings(10_000_000));
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer)) XmlToJsonConverter.Convert(reader, json, maxDepth);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static readonly string[] OddStrings =
        ["", " ", "  padded  ", "42", "-0.5", "1e400", "true", "false", "null", "a\r\nb\rc", "tab\there", "\u0001ctl", "<&>\"'", "]]>", "😀 emoji", "ключ", "_x0041_", "a_x_b", "\uFFFE"];

    static readonly string[] OddKeys =
        ["", "1abc", "a b", "xml", "xmlns", "_x0020_", "ключ", "a:b", "😀", "item", "-", ".", "j:type", "_", "<tag>"];

    static readonly string[] Numbers =
        ["0", "-1", "3.14", "1e10", "-2.5E-3", "123456789012345678901234567890", "0.1000000000000000055511151231257827", "9007199254740993"];

    static Gen<string> Text(string[] odd) => Gen.OneOf<string>(Gen.OneOf(odd), Gen.String[Gen.Char["abcxyz_ -:.é中\u0000\t"], 0, 8]);

    static string Literal(string s)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) writer.WriteStringValue(s);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static Gen<string> Value(int depth)
    {
        var scalar = Gen.OneOf<string>(
            Gen.OneOf("null", "true", "false"),
            Gen.OneOf(Numbers),
            Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Text(OddStrings).Select(Literal));
        if (depth == 0) return scalar;
        var inner = Value(depth - 1);
        var array = inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]");
        var obj = Gen.Select(Text(OddKeys), inner).Array[0, 4].Select(members =>
            "{" + string.Join(",", members.DistinctBy(m => m.Item1).Select(m => Literal(m.Item1) + ":" + m.Item2)) + "}");
        return Gen.Frequency<string>((2, scalar), (1, array), (1, obj));
    }

    [Fact]
    public void JsonToXmlToJson_GeneratedDocuments_SameJson()
    {
        Value(4).Sample(json =>
        {
            var xml = ToXml(json);
            var back = ToJson(xml);
            JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(back)).ShouldBeTrue($"{json}\n{xml}\n{back}");
            // Numbers are verbatim, digit for digit.
            foreach (var number in Numbers.Where(n => json.Contains(n, StringComparison.Ordinal))) back.ShouldContain(number);
        }, iter: 2000);
    }

    [Fact]
    public void XmlToJsonToXml_GeneratedDocuments_SameXml()
    {
        Value(4).Sample(json =>
        {
            var xml = ToXml(json);
            ToXml(ToJson(xml)).ShouldBe(xml);
        }, iter: 500);
    }

    [Fact]
    public void ToXml_InvalidUtf8InAString_Rejected()
    {
        using var transcoder = new JsonToXmlTranscoder(XmlFormatOptions.Default);
        byte[] body = [.. "{\"a\":\"x"u8, 0xC3, 0x28, .. "\"}"u8];

        Should.Throw<JsonException>(() =>
        {
            transcoder.Write(body);
            transcoder.Complete();
        });
    }

    [Fact]
    public void ToXml_Document_FollowsTheDocumentedMapping()
    {
        var xml = ToXml("""{"id":7,"name":"Ada","zip":"01234","code":"42","tags":["a",[1,2]],"none":null,"empty":{},"list":[],"first name":"x","":"e","ok":true,"big":123456789012345678901234567890}""");

        xml.ShouldBe("""<?xml version="1.0" encoding="utf-8"?><response xmlns:j="urn:portico:json" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><id>7</id><name>Ada</name><zip>01234</zip><code j:type="string">42</code><tags j:type="array"><item>a</item><item j:type="array"><item>1</item><item>2</item></item></tags><none xsi:nil="true" /><empty j:type="object" /><list j:type="array" /><first_x0020_name>x</first_x0020_name><_ j:name="">e</_><ok>true</ok><big>123456789012345678901234567890</big></response>""");
    }

    [Fact]
    public void ToXml_ConfiguredNames_UsesThemForRootAndItems()
    {
        ToXml("[1]", options: XmlFormatOptions.Default with { Root = "orders", ItemName = "order" })
            .ShouldEndWith("""<orders xmlns:j="urn:portico:json" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" j:type="array"><order>1</order></orders>""");
    }

    [Fact]
    public void ToJson_PlainXmlWithoutAnnotations_InfersTypes()
    {
        ToJson("<order><id>5</id><paid>true</paid><note>rush order</note><customer><name>Ada</name></customer><empty/></order>")
            .ShouldBe("""{"id":5,"paid":true,"note":"rush order","customer":{"name":"Ada"},"empty":""}""");
    }

    [Fact]
    public void ToJson_RepeatedElementWithoutArrayMark_IsRefused()
    {
        Should.Throw<XmlBodyException>(() => ToJson("<order><line>1</line><line>2</line></order>")).Message.ShouldContain("'line' is repeated");
    }

    [Fact]
    public void ToJson_BillionLaughs_RefusedBecauseDtdsAreProhibited()
    {
        const string bomb = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [
              <!ENTITY lol "lol">
              <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
            ]>
            <lolz>&lol3;</lolz>
            """;

        Should.Throw<XmlException>(() => ToJson(bomb)).Message.ShouldContain("DTD");
    }

    [Fact]
    public void ToJson_ExternalEntity_Refused()
    {
        const string xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE data [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
            <data>&secret;</data>
            """;

        Should.Throw<XmlException>(() => ToJson(xxe));
    }

    [Fact]
    public void ToJson_DeeperThanTheLimit_Refused()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100)) + "1" + string.Concat(Enumerable.Repeat("</a>", 100));

        Should.Throw<XmlBodyException>(() => ToJson(deep, maxDepth: 64)).Message.ShouldContain("deeper than 64");
        ToJson(deep, maxDepth: 200).ShouldStartWith("{\"a\":{\"a\":");
    }

    [Fact]
    public void ToXml_MalformedJson_Throws()
    {
        Should.Throw<JsonException>(() => ToXml("{\"a\": [1, 2"));
    }
}

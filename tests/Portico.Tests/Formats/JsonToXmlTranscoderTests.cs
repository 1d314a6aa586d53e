using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CsCheck;
using Portico.Formats;

namespace Portico.Tests.Formats;

/// Pins the XML the transcoder writes, byte for byte, and the inputs it rejects; and holds it to the
/// Utf8JsonReader-based transcoder it replaced (<see cref="Utf8JsonReaderTranscoder"/>) on generated and broken input.
public sealed class JsonToXmlTranscoderTests
{
    const string Namespaces = " xmlns:j=\"urn:portico:json\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
    const string Head = "<?xml version=\"1.0\" encoding=\"utf-8\"?><response" + Namespaces;

    /// JSON and the XML after the root element's name and namespaces, as the transcoder wrote them before it was rewritten.
    public static readonly TheoryData<string, string> Pinned = new()
    {
        { "{\"id\":7,\"name\":\"Ada\",\"zip\":\"01234\",\"code\":\"42\",\"tags\":[\"a\",[1,2]],\"none\":null,\"empty\":{},\"list\":[],\"first name\":\"x\",\"\":\"e\",\"ok\":true,\"big\":123456789012345678901234567890}",
            "><id>7</id><name>Ada</name><zip>01234</zip><code j:type=\"string\">42</code><tags j:type=\"array\"><item>a</item><item j:type=\"array\"><item>1</item><item>2</item></item></tags><none xsi:nil=\"true\" /><empty j:type=\"object\" /><list j:type=\"array\" /><first_x0020_name>x</first_x0020_name><_ j:name=\"\">e</_><ok>true</ok><big>123456789012345678901234567890</big></response>" },
        { "{\"\":1,\"1abc\":2,\"a b\":3,\"xml\":4,\"xmlns\":5,\"_x0020_\":6,\"ключ\":7,\"a:b\":8,\"😀\":9,\"item\":10,\"-\":11,\".\":12,\"j:type\":13,\"_\":14,\"<tag>\":15}",
            "><_ j:name=\"\">1</_><_x0031_abc>2</_x0031_abc><a_x0020_b>3</a_x0020_b><xml>4</xml><xmlns>5</xmlns><_x005F_x0020_>6</_x005F_x0020_><ключ>7</ключ><a_x003A_b>8</a_x003A_b><_x0001F600_>9</_x0001F600_><item>10</item><_x002D_>11</_x002D_><_x002E_>12</_x002E_><j_x003A_type>13</j_x003A_type><_>14</_><_x003C_tag_x003E_>15</_x003C_tag_x003E_></response>" },
        { "{\"_x\":1,\"a_x\":2,\"a_\":3,\"_a\":4,\"x_y\":5,\"A-b.c9\":6,\"é\":7,\"a\\u0020b\":8,\"\\u0061\":9,\"a\\nb\":10,\"\\ud83d\\ude00\":11,\"a/b\":12,\"a\\\\b\":13,\"a\\\"b\":14}",
            "><_x>1</_x><a_x>2</a_x><a_>3</a_><_a>4</_a><x_y>5</x_y><A-b.c9>6</A-b.c9><é>7</é><a_x0020_b>8</a_x0020_b><a>9</a><a_x000A_b>10</a_x000A_b><_x0001F600_>11</_x0001F600_><a_x002F_b>12</a_x002F_b><a_x005C_b>13</a_x005C_b><a_x0022_b>14</a_x0022_b></response>" },
        { "[\"\", \" \", \"  padded  \", \"42\", \"-0.5\", \"1e400\", \"true\", \"false\", \"null\", \"a\\r\\nb\\rc\", \"tab\\there\", \"\\u0001ctl\", \"<&>\\\"'\", \"]]>\", \"😀 emoji\", \"ключ\", \"_x0041_\", \"a_x_b\", \"\\uFFFE\"]",
            " j:type=\"array\"><item /><item> </item><item>  padded  </item><item j:type=\"string\">42</item><item j:type=\"string\">-0.5</item><item j:type=\"string\">1e400</item><item j:type=\"string\">true</item><item j:type=\"string\">false</item><item>null</item><item>a&#xD;\nb&#xD;c</item><item>tab\there</item><item j:type=\"json\">\"\\u0001ctl\"</item><item>&lt;&amp;&gt;\"'</item><item>]]&gt;</item><item>😀 emoji</item><item>ключ</item><item>_x0041_</item><item>a_x_b</item><item j:type=\"json\">\"\\uFFFE\"</item></response>" },
        { "[0,-1,3.14,1e10,-2.5E-3,123456789012345678901234567890,0.1000000000000000055511151231257827,9007199254740993,-0,0e0,1E+2,1e-2]",
            " j:type=\"array\"><item>0</item><item>-1</item><item>3.14</item><item>1e10</item><item>-2.5E-3</item><item>123456789012345678901234567890</item><item>0.1000000000000000055511151231257827</item><item>9007199254740993</item><item>-0</item><item>0e0</item><item>1E+2</item><item>1e-2</item></response>" },
        { "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u0041\\u00e9\\u4e2d\\ud83d\\ude00\",\"\\u0000\",\"\\u001f\",\"\\u007f\",\"\\uffff\",\"\\ufffd\",\"a\\u0026b\",\"\\u003c\\u003e\"]",
            " j:type=\"array\"><item j:type=\"json\">\"\\u0022\\\\/\\b\\f\\n\\r\\t\"</item><item>Aé中😀</item><item j:type=\"json\">\"\\u0000\"</item><item j:type=\"json\">\"\\u001F\"</item><item>\u007F</item><item j:type=\"json\">\"\\uFFFF\"</item><item>\uFFFD</item><item>a&amp;b</item><item>&lt;&gt;</item></response>" },
        { "[\"0\",\"-\",\"-1.\",\"1.5\",\"01\",\"1e5\",\"+1\",\"TRUE\",\"true \",\"nul\",\"False\"]",
            " j:type=\"array\"><item j:type=\"string\">0</item><item>-</item><item>-1.</item><item j:type=\"string\">1.5</item><item>01</item><item j:type=\"string\">1e5</item><item>+1</item><item>TRUE</item><item>true </item><item>nul</item><item>False</item></response>" },
        { "[[],[[]],{},[{}],{\"a\":{}},{\"a\":[]},[null],{\"a\":null},[[[1]]],{\"a\":{\"b\":{\"c\":\"d\"}}}]",
            " j:type=\"array\"><item j:type=\"array\" /><item j:type=\"array\"><item j:type=\"array\" /></item><item j:type=\"object\" /><item j:type=\"array\"><item j:type=\"object\" /></item><item><a j:type=\"object\" /></item><item><a j:type=\"array\" /></item><item j:type=\"array\"><item xsi:nil=\"true\" /></item><item><a xsi:nil=\"true\" /></item><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item>1</item></item></item></item><item><a><b><c>d</c></b></a></item></response>" },
        { "\"x\"",
            ">x</response>" },
        { "\"\"",
            " />" },
        { "\"42\"",
            " j:type=\"string\">42</response>" },
        { "1",
            ">1</response>" },
        { "-0.5",
            ">-0.5</response>" },
        { "true",
            ">true</response>" },
        { "false",
            ">false</response>" },
        { "null",
            " xsi:nil=\"true\" />" },
        { "[]",
            " j:type=\"array\" />" },
        { "{}",
            " j:type=\"object\" />" },
        { "  /* lead */ {\"a\" : 1 , // line\n\"b\":/* mid */[1 /* after */, 2]} // trail",
            "><a>1</a><b j:type=\"array\"><item>1</item><item>2</item></b></response>" },
        { "{\"x\":\"é ü ß ∑ 中文 😀\",\"y\":\"a&b<c>d]]>e\",\"z\":\"\\r\\r\\n\"}",
            "><x>é ü ß ∑ 中文 😀</x><y>a&amp;b&lt;c&gt;d]]&gt;e</y><z>&#xD;&#xD;\n</z></response>" },
        { "[{\"n\":null,\"s\":\"\",\"c\":\"42\",\"t\":true,\"f\":false,\"x\":-1.5e3,\"z\":0,\"w\":\"word\"},{\"n\":null,\"s\":\"\",\"c\":\"-7\",\"t\":false,\"f\":true,\"x\":2.25,\"z\":-0,\"w\":\"two words\"},{\"n\":1,\"s\":\"s\",\"c\":\"true\",\"t\":null,\"f\":\"f\",\"x\":1E+2,\"z\":10,\"w\":\"\"},{\"n\":null,\"s\":\"\",\"c\":\"c\",\"t\":true,\"f\":false,\"x\":0.5e-1,\"z\":123456789012345678901234567890,\"w\":\"x\"},{\"n\":null,\"s\":\"\",\"c\":\"42\",\"t\":true,\"f\":false,\"x\":-1.5e3,\"z\":0,\"w\":\"word\"},{\"n\":null,\"s\":\"\",\"c\":\"-7\",\"t\":false,\"f\":true,\"x\":2.25,\"z\":-0,\"w\":\"two words\"}]",
            " j:type=\"array\"><item><n xsi:nil=\"true\" /><s /><c j:type=\"string\">42</c><t>true</t><f>false</f><x>-1.5e3</x><z>0</z><w>word</w></item><item><n xsi:nil=\"true\" /><s /><c j:type=\"string\">-7</c><t>false</t><f>true</f><x>2.25</x><z>-0</z><w>two words</w></item><item><n>1</n><s>s</s><c j:type=\"string\">true</c><t xsi:nil=\"true\" /><f>f</f><x>1E+2</x><z>10</z><w /></item><item><n xsi:nil=\"true\" /><s /><c>c</c><t>true</t><f>false</f><x>0.5e-1</x><z>123456789012345678901234567890</z><w>x</w></item><item><n xsi:nil=\"true\" /><s /><c j:type=\"string\">42</c><t>true</t><f>false</f><x>-1.5e3</x><z>0</z><w>word</w></item><item><n xsi:nil=\"true\" /><s /><c j:type=\"string\">-7</c><t>false</t><f>true</f><x>2.25</x><z>-0</z><w>two words</w></item></response>" },
        { "[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"},{\"name\":\"c\",\"id\":3},{\"id\":4},{\"id\":5,\"name\":\"d\",\"more\":true},{ \"id\" : 6 , \"name\" : \"e\" },{\"id\":7,\"name\":\"f\\n\"},{\"id\":8,\"name\":{\"x\":1}},{\"id\":9,\"name\":[1]},{},{\"id\":10,\"name\":\"42\"},{\"id\":11,\"name\":\"\"},{\"id\":12,\"name\":null},{\"id\":13,/*c*/\"name\":\"g\"},{\"id\":-1.5e3,\"name\":false},{\"\":1},{\"first name\":\"h\",\"id\":14},{\"first name\":\"i\",\"id\":15}]",
            " j:type=\"array\"><item><id>1</id><name>a</name></item><item><id>2</id><name>b</name></item><item><name>c</name><id>3</id></item><item><id>4</id></item><item><id>5</id><name>d</name><more>true</more></item><item><id>6</id><name>e</name></item><item><id>7</id><name>f\n</name></item><item><id>8</id><name><x>1</x></name></item><item><id>9</id><name j:type=\"array\"><item>1</item></name></item><item j:type=\"object\" /><item><id>10</id><name j:type=\"string\">42</name></item><item><id>11</id><name /></item><item><id>12</id><name xsi:nil=\"true\" /></item><item><id>13</id><name>g</name></item><item><id>-1.5e3</id><name>false</name></item><item><_ j:name=\"\">1</_></item><item><first_x0020_name>h</first_x0020_name><id>14</id></item><item><first_x0020_name>i</first_x0020_name><id>15</id></item></response>" },
        { "{\"rows\":[{\"a\":[{\"b\":1},{\"b\":2}],\"c\":\"x\"},{\"a\":[{\"b\":3}],\"c\":\"y\"}],\"n\":[[{\"k\":true}],[{\"k\":false}]]}",
            "><rows j:type=\"array\"><item><a j:type=\"array\"><item><b>1</b></item><item><b>2</b></item></a><c>x</c></item><item><a j:type=\"array\"><item><b>3</b></item></a><c>y</c></item></rows><n j:type=\"array\"><item j:type=\"array\"><item><k>true</k></item></item><item j:type=\"array\"><item><k>false</k></item></item></n></response>" },
        { "{\"deep\":[[[[[[[[[[{\"k\":[[[[[[[[[[1]]]]]]]]]]}]]]]]]]]]]}",
            "><deep j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item><k j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item j:type=\"array\"><item>1</item></item></item></item></item></item></item></item></item></item></k></item></item></item></item></item></item></item></item></item></item></deep></response>" },
    };

    [Theory]
    [MemberData(nameof(Pinned))]
    public void ToXml_RepresentativeInput_SameBytesAtEveryChunkBoundary(string json, string tail)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var expected = Head + tail;

        // Whole, byte by byte, and split in two at every position: every token is cut somewhere.
        Transcode(bytes, [bytes.Length]).ShouldBe(expected);
        Transcode(bytes, [.. Enumerable.Repeat(1, bytes.Length)]).ShouldBe(expected);
        for (var split = 1; split < bytes.Length; split++) Transcode(bytes, [split, bytes.Length - split]).ShouldBe(expected, $"split at {split}");
    }

    [Theory]
    [InlineData(65_536)]
    [InlineData(4096)]
    [InlineData(1000)]
    [InlineData(7)]
    public void ToXml_BenchmarkBody_SameBytes(int chunk)
    {
        var body = BenchmarkBody(65_536);
        var sizes = Enumerable.Repeat(chunk, (body.Length + chunk - 1) / chunk).ToArray();

        var xml = Encoding.UTF8.GetBytes(Transcode(body, sizes));

        xml.Length.ShouldBe(86_256);
        Convert.ToHexString(SHA256.HashData(xml)).ShouldBe("59FD0600297226D86D2600C76E62DBA241A4F827E56F5D0DD0E6AE25CCBF37CE");
    }

    /// Malformed JSON, and JSON whose strings are not valid UTF-8, with what makes it so.
    public static readonly TheoryData<string> Malformed =
    [
        "", " ", "\uFEFF[1]", "[1", "[1,]", "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}", "{,}", "{1:2}", "{'a':1}", "[1 2]", "1 2", "[1]]", "{\"a\":1}}", "]",
        "[01]", "[-]", "[1.]", "[1.e5]", "[1e]", "[1e+]", "[+1]", "[.5]", "[1x]", "[0x10]", "[NaN]", "[Infinity]", "-",
        "[tru]", "[truex]", "[nul]", "[True]", "t", "nulll",
        "\"abc", "\"a\nb\"", "\"a\tb\"", "\"\\x\"", "\"\\U0041\"", "\"\\u004\"", "\"\\u004G\"", "\"\\\"",
        "[1]/", "[1]/*", "[1]/* *", "/x[1]", "{\"a\"/**/:1}", "[1]// \u2028", "[1]// \u2029", "//",
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void ToXml_MalformedJson_RejectedAtEveryChunkBoundary(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        Should.Throw<JsonException>(() => Transcode(bytes, [bytes.Length]));
        for (var split = 1; split < bytes.Length; split++) Should.Throw<JsonException>(() => Transcode(bytes, [split, bytes.Length - split]));
    }

    [Theory]
    [InlineData("\"\\xC3\\x28\"")]
    [InlineData("\"\\xED\\xA0\\x80\"")]
    [InlineData("\"\\xF4\\x90\\x80\\x80\"")]
    [InlineData("\"\\xC0\\x80\"")]
    [InlineData("\"\\xFF\"")]
    [InlineData("[\"ok\",\"\\xE2\\x82\"]")]
    public void ToXml_InvalidUtf8InAString_Rejected(string json)
    {
        var bytes = Bytes(json);

        Should.Throw<JsonException>(() => Transcode(bytes, [bytes.Length]));
        Should.Throw<JsonException>(() => Transcode(bytes, [.. Enumerable.Repeat(1, bytes.Length)]));
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void ToXml_Nesting_AcceptedUpTo64Deep(int depth, bool accepted)
    {
        var arrays = Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth));
        var objects = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1));

        foreach (var json in new[] { arrays, objects })
        {
            if (accepted) Transcode(json, [7, json.Length]).ShouldEndWith("</response>");
            else Should.Throw<JsonException>(() => Transcode(json, [7, json.Length]));
        }
    }

    [Fact]
    public void ToXml_GeneratedDocuments_SameAsUtf8JsonReaderTranscoder()
    {
        Gen.Select(JsonXmlRoundTripTests.Value(4), Chunks).Sample((json, chunks) =>
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            Outcome(bytes, chunks, Reference).ShouldBe(Outcome(bytes, chunks, Shipped), json);
        }, iter: 3000);
    }

    [Fact]
    public void ToXml_BrokenDocuments_SameOutcomeAsUtf8JsonReaderTranscoder()
    {
        Gen.Select(JsonXmlRoundTripTests.Value(3), Edits, Chunks).Sample((json, edits, chunks) =>
        {
            var bytes = Edit(Encoding.UTF8.GetBytes(json), edits);
            Outcome(bytes, chunks, Reference).ShouldBe(Outcome(bytes, chunks, Shipped), Convert.ToHexString(bytes));
        }, iter: 20_000);
    }

    [Fact]
    public void ToXml_RowShapedDocuments_SameAsUtf8JsonReaderTranscoder()
    {
        Gen.Select(Rows(2), RowChunks).Sample((json, chunks) =>
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            Outcome(bytes, chunks, Reference).ShouldBe(Outcome(bytes, chunks, Shipped), json);
        }, iter: 3000);
    }

    [Fact]
    public void ToXml_BrokenRowShapedDocuments_SameOutcomeAsUtf8JsonReaderTranscoder()
    {
        Gen.Select(Rows(1), Edits, RowChunks).Sample((json, edits, chunks) =>
        {
            var bytes = Edit(Encoding.UTF8.GetBytes(json), edits);
            Outcome(bytes, chunks, Reference).ShouldBe(Outcome(bytes, chunks, Shipped), Convert.ToHexString(bytes));
        }, iter: 10_000);
    }

    [Fact]
    public void ToXml_TranscoderReusedAcrossBodies_SameOutcomeAsNewOnes()
    {
        // One transcoder for a run of bodies, as the pool hands them out: whole, broken or cut off, under other
        // names; each must come out as it does from a new transcoder.
        XmlFormatOptions[] names = [XmlFormatOptions.Default, XmlFormatOptions.Default with { Root = "doc", ItemName = "row" }];
        var body = Gen.Frequency(
            (2, Rows(1).Select(json => Encoding.UTF8.GetBytes(json))),
            (1, JsonXmlRoundTripTests.Value(2).Select(json => Encoding.UTF8.GetBytes(json))),
            (2, Gen.Select(Rows(1), Edits).Select((json, edits) => Edit(Encoding.UTF8.GetBytes(json), edits))));
        Gen.Select(body, RowChunks, Gen.Int[0, 1], Gen.Bool).Array[2, 6].Sample(bodies =>
        {
            using var reused = new JsonToXmlTranscoder(names[0]);
            foreach (var (bytes, chunks, n, finish) in bodies)
            {
                reused.Reset();
                reused.UseNames(names[n]);
                Outcome(bytes, chunks, (b, c) => Run(b, c, reused, finish))
                    .ShouldBe(Outcome(bytes, chunks, (b, c) => { using var fresh = new JsonToXmlTranscoder(names[n]); return Run(b, c, fresh, finish); }), Convert.ToHexString(bytes));
            }
        }, iter: 3000);
    }

    [Fact]
    public void ToXml_RentedTranscoder_HasTheNamesAskedFor()
    {
        var other = XmlFormatOptions.Default with { Root = "doc", ItemName = "row" };
        var rows = "[{\"a\":1,\"b\":\"x\"},{\"a\":2,\"b\":\"y\"}]"u8;
        foreach (var (options, expected) in new[] { (XmlFormatOptions.Default, "<response j:type=\"array\"><item><a>1</a>"), (other, "<doc j:type=\"array\"><row><a>1</a>"), (XmlFormatOptions.Default, "<response j:type=\"array\"><item><a>1</a>") })
        {
            var transcoder = JsonToXmlTranscoder.Rent(options);
            transcoder.Write(rows);
            transcoder.Complete();
            Encoding.UTF8.GetString(transcoder.Output.Span).Replace(Namespaces, "", StringComparison.Ordinal).ShouldContain(expected);
            JsonToXmlTranscoder.Return(transcoder);
        }
    }

    [Fact]
    public void ToXml_TranscodersGivenBackToAFullPool_AreDisposed()
    {
        // More out at once than the pool keeps, as under load: the ones it cannot keep give their buffers back.
        var rented = Enumerable.Range(0, JsonToXmlTranscoder.PoolSize + 8).Select(_ => JsonToXmlTranscoder.Rent(XmlFormatOptions.Default)).ToList();
        foreach (var transcoder in rented)
        {
            transcoder.Write("[1,2,3]"u8);
            transcoder.Complete();
            transcoder.Disposed.ShouldBeFalse();
        }
        foreach (var transcoder in rented) JsonToXmlTranscoder.Return(transcoder);
        rented.Count(t => t.Disposed).ShouldBeGreaterThan(0);
        rented.Count(t => !t.Disposed).ShouldBeLessThanOrEqualTo(JsonToXmlTranscoder.PoolSize);
    }

    static readonly string[] RowNames = ["id", "name", "value", "a_b", "x-y.z", "first name", "_x0041_", "ключ", "", "1a", "averyveryverylongmembername"];

    /// An array of objects that mostly repeat their members, as rows do, and differ the ways rows can: a member
    /// left out, added or moved, other white space, any kind of value (nested rows among them).
    static Gen<string> Rows(int depth) =>
        from names in Gen.OneOf(RowNames).Array[1, 4]
        from differing in Gen.Int[0, 3]
        from rows in Row(names, depth, differing == 0).Array[1, 10]
        from space in Gen.OneOf("", " ", "\n  ")
        select "[" + space + string.Join("," + space, rows) + space + "]";

    /// One row; with <paramref name="differing"/>, its names get a suffix of their own (an array whose items keep
    /// differing stops taking the quick way).
    static Gen<string> Row(string[] names, int depth, bool differing) =>
        from values in RowValue(depth).Array[names.Length + 1]
        from suffix in Gen.Int[0, 99]
        from change in Gen.Int[0, 11]
        from spaced in Gen.Int[0, 11]
        select "{" + string.Join(",", RowMembers(differing ? [.. names.Select(name => name + suffix)] : names, change).Select((name, i) =>
            (spaced == 0 ? " " : "") + "\"" + name + "\"" + (spaced == 1 ? " : " : ":") + values[i])) + (spaced == 2 ? " }" : "}");

    /// The names of one row: mostly as declared; else one left out, one more, or two swapped.
    static IEnumerable<string> RowMembers(string[] names, int change) => change switch
    {
        0 => names.Skip(1),
        1 => names.Append("extra"),
        2 when names.Length > 1 => [names[1], names[0], .. names.Skip(2)],

        _ => names,
    };

    static Gen<string> RowValue(int depth) => Gen.Frequency<string>(
        (4, Gen.Int[-5, 100_000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (4, Gen.String[Gen.Char["abz09-. "], 0, 40].Select(text => "\"" + text + "\"")),
        (2, Gen.String[Gen.Char["aé中<&>\u007f"], 0, 6].Select(text => "\"" + text + "\"")),
        (3, JsonXmlRoundTripTests.Value(0)),
        (1, depth == 0 ? JsonXmlRoundTripTests.Value(1) : Rows(depth - 1)));

    /// Bytes that matter to a JSON scanner, alone and in the runs that start or end a construct.
    static readonly byte[][] Pieces =
    [
        .. "{}[]\",:\\/*-+.eE0123456789 \t\r\nutrefalsnx\u007f"u8.ToArray().Select(b => new[] { b }),
        [0x00], [0x1F], [0x80], [0xBF], [0xC3], [0xE2], [0xED], [0xEF], [0xF0], [0xFF], [0xC3, 0xA9], [0xE2, 0x80, 0xA8], [0xEF, 0xBB, 0xBF], [0xEF, 0xBF, 0xBE],
        [.. "/*"u8], [.. "*/"u8], [.. "//"u8], [.. "\\u"u8], [.. "\\uD83D"u8], [.. "\\uDE00"u8], [.. "\\u00e9"u8], [.. "true"u8], [.. "null"u8], [.. "\"a\":"u8],
    ];

    /// An edit: where (a fraction of the length), what (0 insert, 1 delete, 2 replace, 3 cut the rest), which piece.
    static readonly Gen<(double At, int Kind, int Piece)[]> Edits = Gen.Select(Gen.Double[0, 1], Gen.Int[0, 3], Gen.Int[0, Pieces.Length - 1]).Array[1, 3];

    static readonly Gen<int[]> Chunks = Gen.Int[1, 12].Array[1, 8];

    /// Mostly chunks that hold whole rows (the quick way reads those), else small ones that cut them anywhere.
    static readonly Gen<int[]> RowChunks = Gen.Frequency((2, Gen.Int[16, 100_000].Array[1, 3]), (1, Chunks));

    static byte[] Edit(byte[] json, (double At, int Kind, int Piece)[] edits)
    {
        var bytes = json.ToList();
        foreach (var (at, kind, piece) in edits)
        {
            var i = (int)(at * bytes.Count);
            switch (kind)
            {
                case 0: bytes.InsertRange(i, Pieces[piece]); break;
                case 1 when i < bytes.Count: bytes.RemoveAt(i); break;
                case 2 when i < bytes.Count: bytes[i] = Pieces[piece][0]; break;
                case 3: bytes.RemoveRange(i, bytes.Count - i); break;
            }
        }
        return [.. bytes];
    }

    delegate string Transcoder(byte[] bytes, int[] chunks);

    static readonly Transcoder Shipped = Transcode;

    static readonly Transcoder Reference = (bytes, chunks) =>
    {
        using var transcoder = new Utf8JsonReaderTranscoder(XmlFormatOptions.Default);
        return Run(bytes, chunks, transcoder.Write, () => transcoder.Output, transcoder.Consume, transcoder.Complete);
    };

    /// The XML, or "rejected": the reference let a few rejections out as InvalidOperationException (lone surrogates,
    /// invalid UTF-8 in names and escaped strings, from Utf8JsonReader.GetString/CopyString).
    static string Outcome(byte[] bytes, int[] chunks, Transcoder transcoder)
    {
        try
        {
            return transcoder(bytes, chunks);
        }
        catch (Exception ex) when (ex is JsonException || (transcoder == Reference && ex is InvalidOperationException))
        {
            return "rejected";
        }
    }

    /// Feeds the body in chunks of the given sizes (cycled), taking the output after each.
    static string Transcode(byte[] bytes, int[] chunks)
    {
        using var transcoder = new JsonToXmlTranscoder(XmlFormatOptions.Default);
        return Run(bytes, chunks, transcoder, finish: true);
    }

    /// Feeds the body to <paramref name="transcoder"/>; without <paramref name="finish"/>, the body stops there, as
    /// when a client goes away (the output so far is the outcome).
    static string Run(byte[] bytes, int[] chunks, JsonToXmlTranscoder transcoder, bool finish) =>
        Run(bytes, chunks, transcoder.Write, () => transcoder.Output, transcoder.Consume, finish ? transcoder.Complete : () => { });

    delegate void Feed(ReadOnlySpan<byte> data);

    static string Run(byte[] bytes, int[] chunks, Feed write, Func<ReadOnlyMemory<byte>> output, Action consume, Action complete)
    {
        var xml = new ArrayBufferWriter<byte>();
        for (int at = 0, n = 0; at < bytes.Length; n++)
        {
            var length = Math.Min(chunks[n % chunks.Length], bytes.Length - at);
            write(bytes.AsSpan(at, length));
            at += length;
            xml.Write(output().Span);
            consume();
        }
        complete();
        xml.Write(output().Span);
        // Strict decoding: invalid UTF-8 in the output fails the test instead of turning into U+FFFD.
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(xml.WrittenSpan);
    }

    /// The text with each \xHH as that byte.
    static byte[] Bytes(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length && text[i + 1] == 'x')
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 2, 2), 16));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }
        return [.. bytes];
    }

    /// bench/Bench.Backend's Bodies.Json: items, then padding to the exact size.
    internal static byte[] BenchmarkBody(int size)
    {
        var text = new StringBuilder("{\"items\":[");
        for (var i = 0; text.Length + 80 < size - 16; i++)
        {
            if (i > 0) text.Append(',');
            text.Append("{\"id\":").Append(i).Append(",\"name\":\"item-").Append(i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture))
                .Append("\",\"value\":\"").Append((char)('a' + i % 26), 24).Append("\"}");
        }
        text.Append("],\"pad\":\"");
        var pad = Math.Max(0, size - text.Length - 2);
        text.Append('.', pad).Append("\"}");
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

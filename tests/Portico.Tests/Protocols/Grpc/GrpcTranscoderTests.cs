using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Portico.Protocols.Grpc;

namespace Portico.Tests.Protocols.Grpc;

public sealed class GrpcTranscoderTests : IDisposable
{
    const string Proto = """
        syntax = "proto3";
        package shop;
        import "google/protobuf/timestamp.proto";
        import "google/protobuf/duration.proto";
        import "google/protobuf/wrappers.proto";
        import "google/protobuf/struct.proto";
        import "google/protobuf/field_mask.proto";
        import "google/api/annotations.proto";
        enum Color { COLOR_UNSPECIFIED = 0; RED = 1; BLUE = 2; }
        message Item {
          string sku = 1;
          int32 quantity = 2;
          int64 big = 3;
          uint64 ubig = 4;
          double price = 5;
          bool active = 6;
          bytes data = 7;
          Color color = 8;
          repeated string tags = 9;
          repeated int32 sizes = 10;
          map<string, int32> stock = 11;
          Item parent = 12;
          string display_name = 13;
          oneof choice { string a = 14; int32 b = 15; }
          google.protobuf.Timestamp created = 16;
          google.protobuf.Duration ttl = 17;
          google.protobuf.Int32Value maybe = 18;
          google.protobuf.Struct extra = 19;
          google.protobuf.FieldMask mask = 20;
          map<int64, string> names = 21;
          float ratio = 22;
          sint64 delta = 23;
        }
        service Shop {
          rpc Get(Item) returns (Item) { option (google.api.http) = { get: "/items/{sku}" }; }
          rpc List(Item) returns (stream Item);
          rpc Upload(stream Item) returns (Item);
        }
        """;

    readonly string _dir = Directory.CreateTempSubdirectory("portico-grpc").FullName;
    readonly MessagePlan _item;

    public GrpcTranscoderTests()
    {
        File.WriteAllText(Path.Combine(_dir, "shop.proto"), Proto);
        var errors = new List<GrpcSchema.LoadError>();
        var schema = GrpcSchema.Load(["shop.proto"], _dir, errors);
        errors.ShouldBeEmpty();
        _item = schema!.Methods["shop.Shop/Get"].Input;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    JsonNode? RoundTrip(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return ProtobufToJson.Read(_item, JsonToProtobuf.Write(_item, doc.RootElement));
    }

    [Fact]
    public void RoundTrip_EveryFieldKind_ReturnsSameJson()
    {
        const string json = """
            {"sku":"A1","quantity":-3,"big":"-9007199254740993","ubig":"18446744073709551615","price":1.5,"active":true,"data":"AQID","color":"BLUE",
             "tags":["x","y"],"sizes":[1,2,3],"stock":{"a":1,"b":2},"parent":{"sku":"P"},"displayName":"Nice","b":7,
             "created":"2024-01-02T03:04:05.123Z","ttl":"1.500s","maybe":0,"extra":{"k":[1,"two",null,{"t":true}]},"mask":"displayName,sku",
             "names":{"5":"five"},"ratio":0.25,"delta":"-4"}
            """;

        RoundTrip(json)!.ToJsonString().ShouldBe(JsonNode.Parse(json)!.ToJsonString());
    }

    [Fact]
    public void RoundTrip_GeneratedMessages_ReturnSameJson()
    {
        var gen =
            from sku in Gen.String[Gen.Char.AlphaNumeric, 0, 12]
            from quantity in Gen.Int
            from big in Gen.Long
            from ubig in Gen.ULong
            from active in Gen.Bool
            from data in Gen.Byte.Array[0, 8]
            from color in Gen.Int[0, 2]
            from tags in Gen.String[Gen.Char.AlphaNumeric, 1, 5].Array[0, 3]
            from sizes in Gen.Int.Array[0, 4]
            from delta in Gen.Long
            select (sku, quantity, big, ubig, active, data, color, tags, sizes, delta);

        gen.Sample(t =>
        {
            var o = new JsonObject();
            if (t.sku.Length > 0) o["sku"] = t.sku;
            if (t.quantity != 0) o["quantity"] = t.quantity;
            if (t.big != 0) o["big"] = t.big.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (t.ubig != 0) o["ubig"] = t.ubig.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (t.active) o["active"] = true;
            if (t.data.Length > 0) o["data"] = Convert.ToBase64String(t.data);
            if (t.color != 0) o["color"] = t.color == 1 ? "RED" : "BLUE";
            if (t.tags.Length > 0) o["tags"] = new JsonArray([.. t.tags.Select(x => (JsonNode)x)]);
            if (t.sizes.Length > 0) o["sizes"] = new JsonArray([.. t.sizes.Select(x => (JsonNode)x)]);
            if (t.delta != 0) o["delta"] = t.delta.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var json = o.ToJsonString();
            RoundTrip(json)!.ToJsonString().ShouldBe(json);
        });
    }

    [Fact]
    public void Write_OriginalNameAndNumbers_AreAccepted()
    {
        RoundTrip("""{"display_name":"n","big":12,"color":2,"quantity":"4"}""")!.ToJsonString()
            .ShouldBe("""{"quantity":4,"big":"12","color":"BLUE","displayName":"n"}""");
    }

    [Fact]
    public void Read_DefaultValues_AreOmitted()
    {
        RoundTrip("""{"sku":"","quantity":0,"active":false}""")!.ToJsonString().ShouldBe("{}");
    }

    [Theory]
    [InlineData("""{"nope":1}""", "nope", "unknown field")]
    [InlineData("""{"quantity":"x"}""", "quantity", "not a number")]
    [InlineData("""{"quantity":3000000000}""", "quantity", "out of range")]
    [InlineData("""{"quantity":1.5}""", "quantity", "not a whole number")]
    [InlineData("""{"color":"GREEN"}""", "color", "is not a value of shop.Color")]
    [InlineData("""{"parent":{"tags":[1]}}""", "parent.tags[0]", "expected a string")]
    [InlineData("""{"stock":{"a":"b"}}""", "stock[\"a\"]", "not a number")]
    [InlineData("""{"a":"x","b":1}""", "b", "oneof")]
    [InlineData("""{"created":"yesterday"}""", "created", "RFC 3339")]
    [InlineData("""{"active":"yes"}""", "active", "true or false")]
    public void Write_ValueNotFittingMessage_NamesField(string json, string field, string message)
    {
        using var doc = JsonDocument.Parse(json);

        var ex = Should.Throw<GrpcTranscodeException>(() => JsonToProtobuf.Write(_item, doc.RootElement));

        ex.Field.ShouldBe(field);
        ex.Message.ShouldContain(message);
    }

    [Fact]
    public void Load_ParseError_ReportsFileAndLine()
    {
        File.WriteAllText(Path.Combine(_dir, "bad.proto"), "syntax = \"proto3\";\nmessage X {\n  strin a = 1;\n}\n");
        var errors = new List<GrpcSchema.LoadError>();

        GrpcSchema.Load(["bad.proto"], _dir, errors).ShouldBeNull();

        errors.ShouldNotBeEmpty();
        errors[0].Line.ShouldBe(3);
    }

    [Fact]
    public void Load_StreamingKinds_AreRecorded()
    {
        var errors = new List<GrpcSchema.LoadError>();
        var schema = GrpcSchema.Load(["shop.proto"], _dir, errors)!;

        schema.Methods["shop.Shop/List"].ServerStreaming.ShouldBeTrue();
        schema.Methods["shop.Shop/Upload"].ClientStreaming.ShouldBeTrue();
    }
}

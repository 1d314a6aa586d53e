using Portico.Formats;
using Portico.Tests.Configuration;

namespace Portico.Tests.Formats;

public sealed class FormatsConfigTests
{
    const string Base = """
        gateways:
          web:
            listen: ["http://127.0.0.1:8080"]
            formats: [json, xml]
            xml: { root: doc, maxDepth: 10 }
        services:
          users: { urls: [http://127.0.0.1:5101] }
        routes:
          - name: user
            match: { path: "/users/{id}" }
            service: users
            xml: { itemName: entry }
          - name: plain
            match: { path: /plain }
            service: users
            formats: json
        """;

    [Fact]
    public void For_RouteAndGatewaySettings_RouteKeysWinKeyByKey()
    {
        var config = TestConfig.LoadValid(Base);
        var gateway = config.Gateways[0];

        var user = FormatsMetadata.For(config.Routes[0], gateway).ShouldNotBeNull();
        user.Json.ShouldBeTrue();
        user.Xml.ShouldBe(new XmlFormatOptions("doc", "entry", false, 10, XmlFormatOptions.Default.MaxBodySize));
        FormatsMetadata.For(config.Routes[1], gateway).ShouldBeNull();
    }

    [Fact]
    public void Load_UnknownFormat_SuggestsTheKnownOne()
    {
        var errors = TestConfig.Errors(Base.Replace("formats: json", "formats: jsn", StringComparison.Ordinal));

        var error = errors.ErrorAt("routes[1].formats");
        error.Message.ShouldBe("'jsn' is not a format");
        error.Hint.ShouldBe("did you mean 'json'?");
    }

    [Fact]
    public void Load_InvalidXmlName_IsAnError()
    {
        var errors = TestConfig.Errors(Base.Replace("root: doc", "root: \"1 doc\"", StringComparison.Ordinal));

        errors.ErrorAt("gateways.web.xml.root").Message.ShouldBe("'1 doc' is not an XML element name");
    }
}

using Microsoft.AspNetCore.Http;
using Portico.Formats;

namespace Portico.Tests.Formats;

public sealed class FormatNegotiationTests
{
    static readonly FormatsMetadata Both = new(true, XmlFormatOptions.Default);

    static ResponseFormat Choose(string? accept, string query = "", FormatsMetadata? formats = null)
    {
        var context = new DefaultHttpContext();
        if (accept is not null) context.Request.Headers.Accept = accept;
        context.Request.QueryString = new QueryString(query);
        return FormatNegotiation.Choose(context.Request, formats ?? Both);
    }

    [Theory]
    [InlineData(null, nameof(ResponseFormat.Json))]
    [InlineData("*/*", nameof(ResponseFormat.Json))]
    [InlineData("application/json", nameof(ResponseFormat.Json))]
    [InlineData("application/xml", nameof(ResponseFormat.Xml))]
    [InlineData("text/xml", nameof(ResponseFormat.Xml))]
    [InlineData("application/problem+xml", nameof(ResponseFormat.Xml))]
    [InlineData("application/vnd.portico.v2+json", nameof(ResponseFormat.Json))]
    [InlineData("application/json;q=0.5, application/xml", nameof(ResponseFormat.Xml))]
    [InlineData("application/xml;q=0.5, */*;q=0.8", nameof(ResponseFormat.Json))]
    [InlineData("application/xml, application/json", nameof(ResponseFormat.Json))]
    [InlineData("text/html", nameof(ResponseFormat.None))]
    [InlineData("application/xml;q=0", nameof(ResponseFormat.None))]
    [InlineData("Application/XML", nameof(ResponseFormat.Xml))]
    [InlineData("TEXT/Xml", nameof(ResponseFormat.Xml))]
    [InlineData("Application/JSON;q=0.9, application/Vnd.Example+XML", nameof(ResponseFormat.Xml))]
    [InlineData("Text/*", nameof(ResponseFormat.Xml))]
    public void Choose_Accept_PicksTheBestFormat(string? accept, string expected) => Choose(accept).ShouldBe(Enum.Parse<ResponseFormat>(expected));

    [Fact]
    public void Choose_FormatQuery_OnlyWhenEnabled()
    {
        Choose("application/json", "?format=xml").ShouldBe(ResponseFormat.Json);
        Choose("application/json", "?format=xml", Both with { Xml = XmlFormatOptions.Default with { FormatQuery = true } }).ShouldBe(ResponseFormat.Xml);
    }

    [Fact]
    public void Choose_XmlOnlyRoute_JsonAcceptIsNotAcceptable()
    {
        var xmlOnly = new FormatsMetadata(false, XmlFormatOptions.Default);

        Choose("application/json", formats: xmlOnly).ShouldBe(ResponseFormat.None);
        Choose(null, formats: xmlOnly).ShouldBe(ResponseFormat.Xml);
    }
}

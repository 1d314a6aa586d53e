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
    [InlineData(null, ResponseFormat.Json)]
    [InlineData("*/*", ResponseFormat.Json)]
    [InlineData("application/json", ResponseFormat.Json)]
    [InlineData("application/xml", ResponseFormat.Xml)]
    [InlineData("text/xml", ResponseFormat.Xml)]
    [InlineData("application/problem+xml", ResponseFormat.Xml)]
    [InlineData("application/vnd.portico.v2+json", ResponseFormat.Json)]
    [InlineData("application/json;q=0.5, application/xml", ResponseFormat.Xml)]
    [InlineData("application/xml;q=0.5, */*;q=0.8", ResponseFormat.Json)]
    [InlineData("application/xml, application/json", ResponseFormat.Json)]
    [InlineData("text/html", ResponseFormat.None)]
    [InlineData("application/xml;q=0", ResponseFormat.None)]
    [InlineData("Application/XML", ResponseFormat.Xml)]
    [InlineData("TEXT/Xml", ResponseFormat.Xml)]
    [InlineData("Application/JSON;q=0.9, application/Vnd.Example+XML", ResponseFormat.Xml)]
    [InlineData("Text/*", ResponseFormat.Xml)]
    public void Choose_Accept_PicksTheBestFormat(string? accept, ResponseFormat expected) => Choose(accept).ShouldBe(expected);

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

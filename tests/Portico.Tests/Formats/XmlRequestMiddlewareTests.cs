using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.Formats;
using Portico.Problems;

namespace Portico.Tests.Formats;

public sealed class XmlRequestMiddlewareTests
{
    // Found by the xml2json fuzz harness: 0xFF bytes inside the XML declaration's version make System.Xml's reader
    // throw ArgumentOutOfRangeException (not XmlException) from MoveToContent.
    const string BrokenDeclaration = "PD94bWwgdmVyc2lvbj0iMS4w//////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////8iIGVuY29kaW5nPSJ1dGYtOCI/Pgo8b25zZSB4bWxuczpqPSJ1cm46cG9ydGljLnc0Lm9qbmNlIj48bmE+PHRhPjxuYT48dGFncyBqOnR5cHlwZT0iYUByYXkiPjxzc2kiZSA=";

    static async Task<(HttpContext Context, bool NextCalled)> PostAsync(byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/xml";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        context.Response.Body = new MemoryStream();
        context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(new FormatsMetadata(true, XmlFormatOptions.Default)), "xml"));
        var nextCalled = false;
        var middleware = new XmlRequestMiddleware(_ => { nextCalled = true; return Task.CompletedTask; });
        await middleware.InvokeAsync(context);
        return (context, nextCalled);
    }

    [Fact]
    public async Task InvokeAsync_DeclarationThatTripsTheXmlReader_AnswersBadXmlProblem()
    {
        var (context, nextCalled) = await PostAsync(Convert.FromBase64String(BrokenDeclaration));

        nextCalled.ShouldBeFalse();
        context.Response.StatusCode.ShouldBe(StatusCodes.Status400BadRequest);
        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body, cancellationToken: TestContext.Current.CancellationToken);
        problem.RootElement.GetProperty("type").GetString().ShouldBe(Problem.Types.BadXml);
    }

    [Fact]
    public async Task InvokeAsync_WellFormedXml_PassesJsonOn()
    {
        var (context, nextCalled) = await PostAsync(Encoding.UTF8.GetBytes("<order><id>7</id></order>"));

        nextCalled.ShouldBeTrue();
        context.Request.ContentType.ShouldBe("application/json; charset=utf-8");
        using var json = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: TestContext.Current.CancellationToken);
        json.RootElement.GetProperty("id").GetRawText().ShouldNotBeEmpty();
    }
}

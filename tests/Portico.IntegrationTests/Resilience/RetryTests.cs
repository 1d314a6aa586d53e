using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Resilience;

public sealed class RetryTests
{
    static string Yaml(string urls, string retry = "{ attempts: 2, backoff: 1ms, maxBackoff: 5ms }") => $$"""
        services:
          items:
            urls: [{{urls}}]
            retry: {{retry}}
        routes:
          - name: items
            match: { path: "/items" }
            service: items
        """;

    /// A backend whose /items answers 503 for its first <paramref name="failures"/> calls, then 200.
    static Task<TestBackend> FlakyAsync(int failures)
    {
        var calls = 0;
        return TestBackend.StartAsync("items", app => app.Map("/items", (HttpContext context) =>
        {
            if (Interlocked.Increment(ref calls) > failures) return Results.Text("fine");
            context.Response.Headers["X-Failed-Attempt"] = "yes";
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }));
    }

    [Fact]
    public async Task Get_OneDestinationRefusesConnections_AnsweredByTheOther()
    {
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{ClosedPort.Url()}\", \"{backend.Url}\""));
        using var client = gateway.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            statuses.Add((await client.GetAsync("/items", TestContext.Current.CancellationToken)).StatusCode);

        statuses.ShouldAllBe(s => s == HttpStatusCode.OK);
        backend.CallsTo("/items").ShouldBe(4);
    }

    [Fact]
    public async Task Get_FirstPolicyDestinationRefuses_RetryGoesToAnUntriedDestination()
    {
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              items:
                urls: ["{{ClosedPort.Url()}}", "{{backend.Url}}"]
                loadBalancing: first
                retry: { attempts: 1, backoff: 1ms }
            routes:
              - name: items
                match: { path: "/items" }
                service: items
            """);
        using var client = gateway.CreateClient();

        // `first` always prefers the refusing destination; only reselection among untried ones reaches the other.
        var response = await client.GetAsync("/items", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.CallsTo("/items").ShouldBe(1);
    }

    [Fact]
    public async Task Get_First503ThenOk_ClientSeesOnlyTheOkAfterTwoCalls()
    {
        await using var backend = await FlakyAsync(failures: 1);
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{backend.Url}\""));
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/items", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe("fine");
        response.Headers.Contains("X-Failed-Attempt").ShouldBeFalse();
        backend.CallsTo("/items").ShouldBe(2);
    }

    [Fact]
    public async Task Post_Backend503_SentOnceAndClientGetsThe503()
    {
        await using var backend = await FlakyAsync(failures: 1);
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{backend.Url}\""));
        using var client = gateway.CreateClient();

        using var content = new StringContent("{}");
        using var response = await client.PostAsync("/items", content, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        backend.CallsTo("/items", "POST").ShouldBe(1);
    }

    [Fact]
    public async Task Post_DestinationRefuses_Answers502WithoutTryingTheOtherDestination()
    {
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{ClosedPort.Url()}\", \"{backend.Url}\""));
        using var client = gateway.CreateClient();

        // Round-robin sends the first request to the refusing destination.
        using var refusedContent = new StringContent("{}");
        using var refused = await client.PostAsync("/items", refusedContent, TestContext.Current.CancellationToken);
        var callsAfterRefusal = backend.CallsTo("/items", "POST");
        using var nextContent = new StringContent("{}");
        using var next = await client.PostAsync("/items", nextContent, TestContext.Current.CancellationToken);

        refused.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await ProblemResponse.ReadAsync(refused, TestContext.Current.CancellationToken)).Type.ShouldBe("urn:portico:problem:upstream-unreachable");
        callsAfterRefusal.ShouldBe(0);
        // The other destination works: the second POST reaches it, once.
        next.StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.CallsTo("/items", "POST").ShouldBe(1);
    }

    [Fact]
    public async Task Get_WithRequestBody_IsNotRetried()
    {
        await using var backend = await FlakyAsync(failures: 1);
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{backend.Url}\""));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items") { Content = new StringContent("filter=all") };

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        request.Content.Headers.ContentLength.ShouldBe(10);
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        backend.CallsTo("/items").ShouldBe(1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Get_AlwaysFailing_StopsAfterTheConfiguredRetries(int attempts)
    {
        await using var backend = await FlakyAsync(failures: int.MaxValue);
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{backend.Url}\"", $"{{ attempts: {attempts}, backoff: 1ms, maxBackoff: 5ms }}"));
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/items", TestContext.Current.CancellationToken);

        // `attempts` counts retries after the first call; the last answer reaches the client as is.
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.Contains("X-Failed-Attempt").ShouldBeTrue();
        backend.CallsTo("/items").ShouldBe(1 + attempts);
    }

    [Fact]
    public async Task Get_AllDestinationsRefuse_Answers502AfterTryingEach()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{ClosedPort.Url()}\", \"{ClosedPort.Url()}\""));
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/items", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken)).Type.ShouldBe("urn:portico:problem:upstream-unreachable");
    }

    [Fact]
    public async Task Get_RetryBudgetExhausted_StopsRetrying()
    {
        await using var backend = await FlakyAsync(failures: int.MaxValue);
        // No floor and half the requests: request 1 earns no retry, request 2 one, request 3 none, request 4 one.
        await using var gateway = await GatewayUnderTest.StartAsync(Yaml($"\"{backend.Url}\"", "{ attempts: 1, backoff: 1ms, budget: 0.5, minRetriesPerSecond: 0 }"));
        using var client = gateway.CreateClient();

        for (var i = 0; i < 4; i++)
            (await client.GetAsync("/items", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

        backend.CallsTo("/items").ShouldBe(6);
    }

    [Fact]
    public async Task Get_StickySplitRetried_KeepsTheStickyCookieSetBeforeTheFirstAttempt()
    {
        await using var backend = await FlakyAsync(failures: 1);
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              blue: { urls: ["{{backend.Url}}"], retry: { attempts: 1, backoff: 1ms } }
              green: { urls: ["{{backend.Url}}"], retry: { attempts: 1, backoff: 1ms } }
            routes:
              - name: items
                match: { path: "/items" }
                split: { blue: 50, green: 50 }
                sticky: { cookie: canary }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/items", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.CallsTo("/items").ShouldBe(2);
        response.Headers.TryGetValues("Set-Cookie", out var cookies).ShouldBeTrue();
        cookies!.ShouldContain(c => c.StartsWith("canary=", StringComparison.Ordinal));
    }
}

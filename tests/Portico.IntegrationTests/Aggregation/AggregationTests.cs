using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Aggregation;

public sealed class AggregationTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!.AsObject();

    [Fact]
    public async Task Aggregate_TwoIndependentParts_CallsOverlapInTime()
    {
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, (long Start, long End)>();
        async Task<IResult> Slow(string name)
        {
            var start = Stopwatch.GetTimestamp();
            // The service's own latency; the test asserts on the recorded start/end times, not on this delay.
            await Task.Delay(200);
            calls[name] = (start, Stopwatch.GetTimestamp());
            return Results.Json(new { name });
        }
        await using var a = await TestBackend.StartAsync("a", app => app.MapGet("/a", () => Slow("a")));
        await using var b = await TestBackend.StartAsync("b", app => app.MapGet("/b", () => Slow("b")));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              a: { urls: ["{{a.Url}}"] }
              b: { urls: ["{{b.Url}}"] }
            routes:
              - name: both
                match: { path: "/both" }
                aggregate:
                  parts:
                    first: { service: a, path: /a }
                    second: { service: b, path: /b }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/both", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await ReadObjectAsync(response);
        body["first"]!["name"]!.GetValue<string>().ShouldBe("a");
        body["second"]!["name"]!.GetValue<string>().ShouldBe("b");
        var (first, second) = (calls["a"], calls["b"]);
        // Sequential calls would start the second only after the first ended.
        first.Start.ShouldBeLessThan(second.End);
        second.Start.ShouldBeLessThan(first.End);
        // Both started within the first call's 200 ms: together they take about 200 ms, not 400 ms.
        Stopwatch.GetElapsedTime(Math.Min(first.Start, second.Start), Math.Max(first.Start, second.Start)).ShouldBeLessThan(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Aggregate_ChainedPart_UsesAFieldOfTheEarlierResult()
    {
        await using var users = await TestBackend.StartAsync("users", app =>
            app.MapGet("/users/{id}", (string id) => Results.Json(new { id, name = "Ada", creditAccount = "ACC 7&x" })));
        await using var credits = await TestBackend.StartAsync("credits", app =>
            app.MapGet("/credits/{account}", (string account) => Results.Json(new { account, balance = 12.5 })));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
              credits: { urls: ["{{credits.Url}}"] }
            routes:
              - name: profile
                match: { path: "/api/profile/{id}" }
                aggregate:
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    credit: { service: credits, path: "/credits/{user.creditAccount}", query: { owner: "{user.name}" } }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/profile/42", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await ReadObjectAsync(response);
        body["user"]!["id"]!.GetValue<string>().ShouldBe("42");
        body["credit"]!["account"]!.GetValue<string>().ShouldBe("ACC 7&x");
        body["credit"]!["balance"]!.GetValue<double>().ShouldBe(12.5);
        credits.Received.Single().RawTarget.ShouldBe("/credits/ACC%207%26x?owner=Ada");
        response.Headers.Contains("Portico-Missing-Parts").ShouldBeFalse();
    }

    /// `GET /api/profile/{id}` aggregating one part, `user`, of the service `users` (the part a YAML flow mapping).
    static Task<GatewayUnderTest> StartProfileAsync(TestBackend users, string userPart) => GatewayUnderTest.StartAsync($$"""
        services:
          users: { urls: ["{{users.Url}}"] }
        routes:
          - name: profile
            match: { path: "/api/profile/{id}" }
            aggregate:
              parts:
                user: {{userPart}}
        """);

    [Fact]
    public async Task Aggregate_TextOfTheParts_WrittenAsTheServicesSentIt()
    {
        const string sent = """{"name":"Zoë's <b>&</b> ключ","quote":"say \"hi\"\n"}""";
        await using var users = await TestBackend.StartAsync("users", app =>
            app.MapGet("/users/{id}", () => Results.Text(sent, "application/json")));
        await using var gateway = await StartProfileAsync(users, """{ service: users, path: "/users/{id}" }""");
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/profile/1", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var text = await response.Content.ReadAsStringAsync(Token);
        // Letters of any script, ' < & > as they are; the quotes and the line break escaped as JSON requires.
        text.ShouldBe("""{"user":{"name":"Zoë's <b>&</b> ключ","quote":"say \"hi\"\n"}}""");
    }

    [Fact]
    public async Task Aggregate_PartsUsingTheClientsQueryAndHeaders_GetThemAndLeaveOutWhatWasNotSent()
    {
        await using var users = await TestBackend.StartAsync("users");
        await using var gateway = await StartProfileAsync(users, """
            { service: users, path: "/users/{id}", query: { lang: "{query.lang}", tag: "{query.tag}", v: "2" },
              headers: { Accept-Language: "{header.Accept-Language}", X-Device: "d-{header.X-Device}" } }
            """.ReplaceLineEndings(" "));
        using var client = gateway.CreateClient();

        using var full = new HttpRequestMessage(HttpMethod.Get, "/api/profile/1?lang=de&tag=a&tag=b%20c&other=x");
        full.Headers.Add("Accept-Language", "de-CH");
        full.Headers.Add("X-Device", "tablet");
        (await client.SendAsync(full, Token)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/api/profile/2", Token)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var received = users.Received.ToArray();
        received[0].PathAndQuery.ShouldBe("/users/1?lang=de&tag=a&tag=b%20c&v=2");
        received[0].Headers["Accept-Language"].ShouldBe("de-CH");
        received[0].Headers["X-Device"].ShouldBe("d-tablet");
        // Nothing sent: the parameters and headers that need it are left out, the part still runs.
        received[1].PathAndQuery.ShouldBe("/users/2?v=2");
        received[1].Headers.ContainsKey("Accept-Language").ShouldBeFalse();
        received[1].Headers.ContainsKey("X-Device").ShouldBeFalse();
    }

    [Fact]
    public async Task Aggregate_FanOut_RespectsTheConcurrencyBoundAndKeepsOrder()
    {
        var inFlight = 0;
        var maxInFlight = 0;
        var gate = new object();
        await using var users = await TestBackend.StartAsync("users", app => app.MapGet("/users/1/orders", () =>
            Results.Json(new { orders = Enumerable.Range(1, 6).Select(i => new { productId = $"p{i}" }) })));
        await using var products = await TestBackend.StartAsync("products", app => app.MapGet("/products/{id}", async (string id) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            lock (gate) maxInFlight = Math.Max(maxInFlight, now);
            // Service latency, so calls that are allowed to overlap do.
            await Task.Delay(100);
            Interlocked.Decrement(ref inFlight);
            return Results.Json(new { id, title = $"Product {id}" });
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
              products: { urls: ["{{products.Url}}"] }
            routes:
              - name: orders
                match: { path: "/orders" }
                aggregate:
                  parts:
                    user: { service: users, path: /users/1/orders }
                    products: { service: products, path: "/products/{item.productId}", forEach: user.orders, concurrency: 2, select: [title] }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/orders", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var items = (await ReadObjectAsync(response))["products"]!.AsArray();
        items.Select(i => i!["title"]!.GetValue<string>()).ShouldBe(Enumerable.Range(1, 6).Select(i => $"Product p{i}"));
        items[0]!.AsObject().ContainsKey("id").ShouldBeFalse();
        products.Received.Count.ShouldBe(6);
        maxInFlight.ShouldBe(2);
    }

    [Fact]
    public async Task Aggregate_FanOutOverItemLimit_RequiredPartAnswers502()
    {
        await using var users = await TestBackend.StartAsync("users", app => app.MapGet("/users/1/orders", () =>
            Results.Json(new { orders = Enumerable.Range(1, 5).Select(i => new { productId = i }) })));
        await using var products = await TestBackend.StartAsync("products");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
              products: { urls: ["{{products.Url}}"] }
            routes:
              - name: orders
                match: { path: "/orders" }
                aggregate:
                  parts:
                    user: { service: users, path: /users/1/orders }
                    products: { service: products, path: "/products/{item.productId}", forEach: user.orders, maxItems: 3 }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/orders", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var problem = await ProblemResponse.ReadAsync(response, Token);
        problem.Type.ShouldBe("urn:portico:problem:aggregate-part-failed");
        problem.Text.ShouldContain("'products'");
        problem.Text.ShouldContain("over the limit of 3");
        products.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Aggregate_OptionalPartDown_AnswersPartialFlaggedInHeaderAndErrors()
    {
        await using var users = await TestBackend.StartAsync("users", app => app.MapGet("/users/{id}", (string id) =>
            Results.Json(new { id, creditAccount = "ACC-1" }, statusCode: 200)));
        var closed = ClosedPort.Url();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
              credits: { urls: ["{{closed}}"] }
            routes:
              - name: profile
                match: { path: "/api/profile/{id}" }
                aggregate:
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    credit: { service: credits, path: "/credits/{user.creditAccount}", optional: true }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/profile/1", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("Portico-Missing-Parts").ShouldBe(["credit"]);
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var body = await ReadObjectAsync(response);
        body["user"]!["id"]!.GetValue<string>().ShouldBe("1");
        body.ContainsKey("credit").ShouldBeTrue();
        body["credit"].ShouldBeNull();
        var error = body["_errors"]!.AsArray().ShouldHaveSingleItem()!;
        error["part"]!.GetValue<string>().ShouldBe("credit");
        error["detail"]!.GetValue<string>().ShouldBe("service 'credits' could not be reached");
        body.ToJsonString().ShouldNotContain(new Uri(closed).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Aggregate_RequiredPartDown_Answers502NamingThePartNotTheAddress()
    {
        var closed = ClosedPort.Url();
        await using var credits = await TestBackend.StartAsync("credits");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{closed}}"] }
              credits: { urls: ["{{credits.Url}}"] }
            routes:
              - name: profile
                match: { path: "/api/profile/{id}" }
                aggregate:
                  parts:
                    user: { service: users, path: "/users/{id}" }
                    credit: { service: credits, path: "/credits/{user.creditAccount}", optional: true }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/profile/1", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var problem = await ProblemResponse.ReadAsync(response, Token);
        problem.ContentType.ShouldBe("application/problem+json");
        problem.Type.ShouldBe("urn:portico:problem:aggregate-part-failed");
        problem.Route.ShouldBe("profile");
        problem.Service.ShouldBe("users");
        problem.Text.ShouldContain("Required part 'user' failed");
        problem.Text.ShouldNotContain("127.0.0.1");
        credits.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Aggregate_PartSlowerThanDeadline_Answers504()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", app => app.MapGet("/slow", async () =>
        {
            await release.Task;
            return Results.Json(new { late = true });
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              slow: { urls: ["{{slow.Url}}"], timeout: 30s }
            routes:
              - name: slow
                match: { path: "/slow" }
                aggregate:
                  deadline: 300ms
                  parts:
                    report: { service: slow, path: /slow }
            """);
        using var client = gateway.CreateClient();
        try
        {
            var response = await client.GetAsync("/slow", Token);

            response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
            var problem = await ProblemResponse.ReadAsync(response, Token);
            problem.Type.ShouldBe("urn:portico:problem:aggregate-deadline");
            problem.Route.ShouldBe("slow");
            problem.Text.ShouldContain("'report'");
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task Aggregate_ClientGoesAway_PartCallsAreCancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", app => app.MapGet("/slow", async (HttpContext context) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
            }
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              slow: { urls: ["{{slow.Url}}"], timeout: 60s }
            routes:
              - name: slow
                match: { path: "/slow" }
                aggregate:
                  deadline: 60s
                  parts:
                    report: { service: slow, path: /slow }
            """);
        using var client = gateway.CreateClient();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var request = client.GetAsync("/slow", cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(request);
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
    }

    [Fact]
    public async Task Aggregate_MergedShapeWithRenames_OneObjectAndTheStrictestCacheControl()
    {
        await using var users = await TestBackend.StartAsync("users", app => app.MapGet("/users/1", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=60";
            return Results.Json(new { id = 1, name = "Ada", password = "x" });
        }));
        await using var credits = await TestBackend.StartAsync("credits", app => app.MapGet("/credits/1", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "private, max-age=10";
            return Results.Json(new { balance = 5, currency = "EUR" });
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
              credits: { urls: ["{{credits.Url}}"] }
            routes:
              - name: merged
                match: { path: "/merged" }
                aggregate:
                  shape: merged
                  parts:
                    user: { service: users, path: /users/1, select: [id, name], rename: { name: fullName } }
                    credit: { service: credits, path: /credits/1 }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/merged", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await ReadObjectAsync(response);
        body.Select(p => p.Key).ShouldBe(["id", "fullName", "balance", "currency"]);
        body["fullName"]!.GetValue<string>().ShouldBe("Ada");
        var cacheControl = response.Headers.CacheControl!;
        cacheControl.Private.ShouldBeTrue();
        cacheControl.Public.ShouldBeFalse();
        cacheControl.MaxAge.ShouldBe(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Aggregate_TraceContextAndRouteHeaders_ReachEveryPart()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              a: { urls: ["{{a.Url}}"] }
              b: { urls: ["{{b.Url}}"] }
            routes:
              - name: both
                match: { path: "/both/{id}" }
                headers:
                  request:
                    set: { X-Source: portico }
                aggregate:
                  parts:
                    first: { service: a, path: "/a/{id}" }
                    second: { service: b, path: /b, method: POST, headers: { X-Item: "{id}" } }
            """);
        using var client = gateway.CreateClient();
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/both/7");
        request.Headers.Add("traceparent", traceparent);

        var response = await client.SendAsync(request, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var first = a.Received.ShouldHaveSingleItem();
        var second = b.Received.ShouldHaveSingleItem();
        first.PathAndQuery.ShouldBe("/a/7");
        second.Method.ShouldBe("POST");
        second.Headers["X-Item"].ShouldBe("7");
        foreach (var received in new[] { first, second })
        {
            received.Headers["traceparent"].ShouldStartWith("00-0af7651916cd43dd8448eb211c80319c-");
            received.Headers["X-Source"].ShouldBe("portico");
        }
    }

    [Fact]
    public async Task Aggregate_PartAnswersMoreThanTheSizeLimit_RequiredPartFails()
    {
        await using var big = await TestBackend.StartAsync("big", app => app.MapGet("/big", () =>
            Results.Json(new { data = new string('x', 10_000) })));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              big: { urls: ["{{big.Url}}"] }
            routes:
              - name: big
                match: { path: "/big" }
                aggregate:
                  maxResponseSize: 4KiB
                  parts:
                    blob: { service: big, path: /big }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/big", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await ProblemResponse.ReadAsync(response, Token)).Text.ShouldContain("size limit");
    }

    [Fact]
    public async Task Aggregate_PartWithBody_GetsTheClientBodyOthersDoNot()
    {
        await using var orders = await TestBackend.StartAsync("orders", app => app.MapPost("/orders", async (HttpRequest request) =>
            Results.Json(new { received = await new StreamReader(request.Body).ReadToEndAsync(), type = request.ContentType })));
        await using var audit = await TestBackend.StartAsync("audit", app => app.MapPost("/audit", (HttpRequest request) =>
            Results.Json(new { length = request.ContentLength ?? 0 })));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              orders: { urls: ["{{orders.Url}}"] }
              audit: { urls: ["{{audit.Url}}"] }
            routes:
              - name: place
                match: { path: "/place", methods: [POST] }
                aggregate:
                  parts:
                    order: { service: orders, method: POST, path: /orders, body: true }
                    audit: { service: audit, method: POST, path: /audit }
            """);
        using var client = gateway.CreateClient();
        using var content = new StringContent("""{"sku":"A-1"}""", System.Text.Encoding.UTF8, "application/json");

        var response = await client.PostAsync("/place", content, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await ReadObjectAsync(response);
        body["order"].ShouldNotBeNull(body.ToJsonString());
        body["order"]!["received"]!.GetValue<string>().ShouldBe("""{"sku":"A-1"}""");
        body["order"]!["type"]!.GetValue<string>().ShouldStartWith("application/json");
        body["audit"]!["length"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task Aggregate_OptionalPartOverItsTimeout_MissingWhileTheRestAnswers()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fast = await TestBackend.StartAsync("fast");
        await using var slow = await TestBackend.StartAsync("slow", app => app.MapGet("/slow", async () =>
        {
            await release.Task;
            return Results.Json(new { late = true });
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              fast: { urls: ["{{fast.Url}}"] }
              slow: { urls: ["{{slow.Url}}"], timeout: 30s }
            routes:
              - name: mixed
                match: { path: "/mixed" }
                aggregate:
                  deadline: 30s
                  parts:
                    main: { service: fast, path: /main }
                    extra: { service: slow, path: /slow, optional: true, timeout: 200ms }
            """);
        using var client = gateway.CreateClient();
        try
        {
            var response = await client.GetAsync("/mixed", Token);

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var body = await ReadObjectAsync(response);
            body["main"]!["path"]!.GetValue<string>().ShouldBe("/main");
            body["_errors"]![0]!["detail"]!.GetValue<string>().ShouldBe("service 'slow' did not answer in time");
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task Aggregate_PartServiceWithRetry_RetriesA503()
    {
        var calls = 0;
        await using var flaky = await TestBackend.StartAsync("flaky", app => app.MapGet("/data", () =>
            Interlocked.Increment(ref calls) == 1 ? Results.StatusCode(503) : Results.Json(new { ok = true })));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              flaky: { urls: ["{{flaky.Url}}"], retry: { attempts: 2, backoff: 10ms, onStatus: [503] } }
            routes:
              - name: data
                match: { path: "/data" }
                aggregate:
                  parts:
                    data: { service: flaky, path: /data }
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/data", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ReadObjectAsync(response))["data"]!["ok"]!.GetValue<bool>().ShouldBeTrue();
        flaky.CallsTo("/data").ShouldBe(2);
    }

    [Fact]
    public async Task Aggregate_PartServiceCircuitOpen_PartFailsWithoutCallingIt()
    {
        await using var failing = await TestBackend.StartAsync("failing", app => app.MapGet("/data", () => Results.StatusCode(500)));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              failing: { urls: ["{{failing.Url}}"], circuitBreaker: { failureRatio: 0.5, minimumThroughput: 2, breakFor: 1m } }
            routes:
              - name: data
                match: { path: "/data" }
                aggregate:
                  parts:
                    data: { service: failing, path: /data, optional: true }
            """);
        using var client = gateway.CreateClient();

        for (var i = 0; i < 2; i++) (await client.GetAsync("/data", Token)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var response = await client.GetAsync("/data", Token);

        (await ReadObjectAsync(response))["_errors"]![0]!["detail"]!.GetValue<string>().ShouldBe("service 'failing' is failing (circuit open)");
        failing.CallsTo("/data").ShouldBe(2);
    }
}

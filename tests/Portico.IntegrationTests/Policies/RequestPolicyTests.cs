using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portico.Auth;
using Portico.Hosting;
using Portico.IntegrationTests.Infrastructure;
using Portico.Policies;

namespace Portico.IntegrationTests.Policies;

/// C# request policies through real HTTP: they run after auth (seeing the caller), in order, the first rejection
/// answers; a policy that throws or writes an unsafe header answers 500 problem+json; the service sees nothing refused.
public sealed class RequestPolicyTests : IAsyncLifetime
{
    static readonly string Key = ApiKeys.Generate();

    readonly string _dir = Directory.CreateTempSubdirectory("portico-policies").FullName;
    readonly Calls _calls = new();
    TestBackend _backend = null!;
    EmbeddedApp _embedded = null!;
    HttpClient Client => _embedded.Client;

    /// How often each policy ran.
    sealed class Calls
    {
        public int Caller, Gate, After;
    }

    sealed class CallerPolicy(Calls calls) : IRequestPolicy
    {
        public ValueTask<PolicyResult> EvaluateAsync(RequestPolicyContext context)
        {
            Interlocked.Increment(ref calls.Caller);
            context.SetRequestHeader("X-Caller", context.Identity?.Consumer ?? "anonymous");
            return ValueTask.FromResult(PolicyResult.Continue);
        }
    }

    /// Rejects requests with ?deny=yes (429 with a title of its own), throws on ?boom=yes, writes the query's
    /// `header` value into a header (whatever it holds) on ?header=…, a header named by ?name=…, one of ?big=N
    /// characters, or ?many=N headers.
    sealed class GatePolicy(Calls calls) : IRequestPolicy
    {
        public ValueTask<PolicyResult> EvaluateAsync(RequestPolicyContext context)
        {
            Interlocked.Increment(ref calls.Gate);
            var query = context.HttpContext.Request.Query;
            if (query["boom"] == "yes") throw new InvalidOperationException("secret internal detail");
            if (query["header"].FirstOrDefault() is { } value) context.SetRequestHeader("X-From-Query", value);
            if (query["name"].FirstOrDefault() is { } name) context.SetRequestHeader(name, "v");
            if (int.TryParse(query["big"], out var big)) context.SetRequestHeader("X-Big", new string('a', big));
            for (var i = 0; int.TryParse(query["many"], out var many) && i < many; i++) context.SetRequestHeader($"X-Many-{i}", "v");
            return ValueTask.FromResult(query["deny"] == "yes" ? PolicyResult.Reject(429, "Slow down, tenant.", "Tenant Quota") : PolicyResult.Continue);
        }
    }

    sealed class AfterPolicy(Calls calls) : IRequestPolicy
    {
        public ValueTask<PolicyResult> EvaluateAsync(RequestPolicyContext context)
        {
            Interlocked.Increment(ref calls.After);
            return ValueTask.FromResult(PolicyResult.Continue);
        }
    }

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("orders");
        var config = Path.Combine(_dir, "portico.yaml");
        await File.WriteAllTextAsync(config, $$"""
            gateways:
              default: { listen: ["http://127.0.0.1:0"] }
            services:
              orders: { urls: ["{{_backend.Url}}"] }
            auth:
              apikey: { header: X-Api-Key }
              consumers:
                shop: { keys: ["{{ApiKeys.Hash(Key)}}"] }
            routes:
              - name: orders
                match: { path: "/orders/{id}" }
                service: orders
                auth: [apikey]
                policies: [caller, gate, after]
            """);
        _embedded = await EmbeddedApp.StartAsync(builder =>
        {
            builder.Services.AddSingleton(_calls);
            builder.Services.AddPortico(o =>
            {
                o.ConfigPath = config;
                o.AddPolicy<CallerPolicy>("caller");
                o.AddPolicy<GatePolicy>("gate", ServiceLifetime.Scoped);
                o.AddPolicy<AfterPolicy>("after", ServiceLifetime.Transient);
            });
        });
        Client.DefaultRequestHeaders.Add("X-Api-Key", Key);
    }

    public async ValueTask DisposeAsync()
    {
        await _embedded.DisposeAsync();
        await _backend.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AllPoliciesContinue_ServiceCalled_WithTheCallerFromAuth()
    {
        using var response = await Client.GetAsync("/orders/1", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var received = _backend.Received.ShouldHaveSingleItem();
        received.Headers["X-Caller"].ShouldBe("shop");
        (_calls.Caller, _calls.Gate, _calls.After).ShouldBe((1, 1, 1));
    }

    [Fact]
    public async Task Rejection_AnswersWithThePolicysStatus_LaterPoliciesAndServiceNotRun()
    {
        using var response = await Client.GetAsync("/orders/1?deny=yes", TestContext.Current.CancellationToken);

        ((int)response.StatusCode).ShouldBe(429);
        var problem = await EmbeddedApp.ProblemAsync(response);
        problem.GetProperty("type").GetString().ShouldBe("urn:portico:problem:policy-rejected");
        problem.GetProperty("title").GetString().ShouldBe("Tenant Quota");
        problem.GetProperty("detail").GetString().ShouldBe("Slow down, tenant.");
        (_calls.Gate, _calls.After).ShouldBe((1, 0));
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Unauthenticated_RefusedBeforeAnyPolicyRuns()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/1");
        request.Headers.Add("X-Api-Key", "pk_wrong");
        using var anonymous = new HttpClient { BaseAddress = Client.BaseAddress };

        using var response = await anonymous.SendAsync(request, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (_calls.Caller, _calls.Gate).ShouldBe((0, 0));
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task PolicyThrows_500Problem_WithoutTheExceptionsText_ServiceSeesNothing()
    {
        using var response = await Client.GetAsync("/orders/1?boom=yes", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        var problem = await EmbeddedApp.ProblemAsync(response);
        problem.GetProperty("type").GetString().ShouldBe("urn:portico:problem:policy-failed");
        problem.GetRawText().ShouldNotContain("secret internal detail");
        _backend.Received.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("a%0D%0AX-Injected:%201")]   // CR LF: a header line of its own
    [InlineData("a%00b")]                     // NUL
    [InlineData("caf%C3%A9")]                 // not ASCII
    public async Task PolicyWritesAnUnsafeHeaderValue_Refused_NothingInjected(string encoded)
    {
        using var response = await Client.GetAsync($"/orders/1?header={encoded}", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await EmbeddedApp.ProblemAsync(response)).GetProperty("type").GetString().ShouldBe("urn:portico:problem:policy-failed");
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task PolicyWritesASafeHeaderValue_Forwarded()
    {
        using var response = await Client.GetAsync("/orders/1?header=t-42", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.ShouldHaveSingleItem().Headers["X-From-Query"].ShouldBe("t-42");
    }

    [Theory]
    [InlineData("X-A%0D%0AX-Injected")]   // CR LF in the name
    [InlineData("X-A:%20X-Injected")]      // ':' would end the name early
    [InlineData("X-A%00")]                 // NUL
    [InlineData("")]
    public async Task PolicyWritesAnUnsafeHeaderName_Refused_NothingInjected(string encoded)
    {
        using var response = await Client.GetAsync($"/orders/1?name={encoded}", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await EmbeddedApp.ProblemAsync(response)).GetProperty("type").GetString().ShouldBe("urn:portico:problem:policy-failed");
        _backend.Received.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("big=1048576")]   // one header of 1 MiB
    [InlineData("many=10000")]    // ten thousand headers
    public async Task PolicyWritesTooMuch_RefusedWithAProblem_ServiceSeesNothing(string query)
    {
        using var response = await Client.GetAsync($"/orders/1?{query}", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        var problem = await EmbeddedApp.ProblemAsync(response);
        problem.GetProperty("type").GetString().ShouldBe("urn:portico:problem:policy-failed");
        problem.GetRawText().Length.ShouldBeLessThan(4096);
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task PolicyWritesHeadersWithinTheLimits_Forwarded()
    {
        using var response = await Client.GetAsync("/orders/1?big=8000&many=50", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var received = _backend.Received.ShouldHaveSingleItem();
        received.Headers["X-Big"].Length.ShouldBe(8000);
        received.Headers["X-Many-49"].ShouldBe("v");
    }
}

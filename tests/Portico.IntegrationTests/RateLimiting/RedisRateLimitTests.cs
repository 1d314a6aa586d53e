using System.Net;

namespace Portico.IntegrationTests.RateLimiting;

/// Exactness across nodes: three gateway processes share one limit through one real redis-server.
public sealed class RedisRateLimitTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public async Task FixedWindow_ConcurrentClientsThroughThreeNodes_AdmitsExactlyTheLimit()
    {
        var result = await Burst.FireAsync([.. cluster.Nodes.Select(n => n.BaseAddress)], "/fixed", clients: 15, requestsPerClient: 8, TestContext.Current.CancellationToken);

        foreach (var node in cluster.Nodes) node.Output.ShouldNotContain("store unreachable", customMessage: node.Output);
        result.Admitted.ShouldBe(RedisClusterFixture.Limit);
        result.Rejected.ShouldBe(120 - RedisClusterFixture.Limit);
        cluster.Backend.Received.Count(r => r.PathAndQuery == "/fixed").ShouldBe(RedisClusterFixture.Limit);
        result.Responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ShouldAllBe(r => r.Headers.RetryAfter != null);
    }

    [Theory]
    [InlineData("/sliding")]
    [InlineData("/bucket")]
    public async Task SlidingWindowAndTokenBucket_ConcurrentClientsThroughThreeNodes_NeverAdmitAboveTheLimit(string path)
    {
        var result = await Burst.FireAsync([.. cluster.Nodes.Select(n => n.BaseAddress)], path, clients: 15, requestsPerClient: 8, TestContext.Current.CancellationToken);

        result.Admitted.ShouldBeInRange(1, RedisClusterFixture.Limit);
        result.Other.ShouldBe(0);
        cluster.Backend.Received.Count(r => r.PathAndQuery == path).ShouldBe(result.Admitted);
    }

    [Fact]
    public async Task Get_ThroughDifferentNodes_SeesOneSharedCountdown()
    {
        var remaining = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            using var client = new HttpClient { BaseAddress = node.BaseAddress };
            var response = await client.GetAsync("/countdown", TestContext.Current.CancellationToken);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Headers.GetValues("RateLimit-Policy").Single().ShouldBe("\"countdown\";q=100;w=86400");
            remaining.Add(response.Headers.GetValues("RateLimit").Single().Split(';')[1]);
        }

        remaining.ShouldBe(["r=99", "r=98", "r=97"]);
    }

    [Fact]
    public async Task Concurrency_RequestsInFlightThroughThreeNodes_HoldExactlyTheLimitAndReleaseTheirSlots()
    {
        var ct = TestContext.Current.CancellationToken;
        var clients = Enumerable.Range(0, 10).Select(i => new HttpClient { BaseAddress = cluster.Nodes[i % 3].BaseAddress }).ToList();
        var rejected = 0;
        var allRejected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = clients.Select(async c =>
        {
            var response = await c.GetAsync("/slow", ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && Interlocked.Increment(ref rejected) == 10 - RedisClusterFixture.SlotLimit) allRejected.TrySetResult();
            return response.StatusCode;
        }).ToList();

        // While three requests hold the slots, the other seven are turned away (a leak would leave one waiting instead).
        await cluster.SlotsHeld.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        await allRejected.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        cluster.Release.SetResult();
        var statuses = await Task.WhenAll(requests);
        var after = await Poll.UntilAsync(() => clients[0].GetAsync("/slow", ct), r => r.StatusCode == HttpStatusCode.OK);

        statuses.Count(s => s == HttpStatusCode.OK).ShouldBe(RedisClusterFixture.SlotLimit);
        statuses.Count(s => s == HttpStatusCode.TooManyRequests).ShouldBe(10 - RedisClusterFixture.SlotLimit);
        after.StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var c in clients) c.Dispose();
    }
}

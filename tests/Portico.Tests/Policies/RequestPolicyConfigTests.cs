using Portico.Configuration;
using Portico.Hosting;
using Portico.Policies;
using Portico.Tests.Configuration;

namespace Portico.Tests.Policies;

/// `policies:` on routes: names the host registered, located errors otherwise; the results a policy may give.
public sealed class RequestPolicyConfigTests
{
    const string Yaml = """
        services:
          orders: { urls: ["http://127.0.0.1:5101"] }
        routes:
          - name: orders
            match: { path: "/orders/{id}" }
            service: orders
            policies: [tenant-check, audit]
        """;

    static ConfigLoadResult Load(string yaml, params string[] registered) =>
        ConfigLoading.LoadText(yaml, TestConfig.Source, BuiltInRouteKinds.Set, static _ => null, [], registered);

    [Fact]
    public void RegisteredPolicies_Bound_InOrder()
    {
        var result = Load(Yaml, "audit", "tenant-check");

        result.Errors.ShouldBeEmpty();
        result.Config!.Routes[0].Policies.ShouldBe(["tenant-check", "audit"]);
    }

    [Fact]
    public void UnknownPolicy_LocatedError_WithDidYouMean()
    {
        var result = Load(Yaml.Replace("tenant-check", "tenant-chek", StringComparison.Ordinal), "audit", "tenant-check");

        var error = result.Errors.ErrorAt("routes[0].policies");
        error.Message.ShouldBe("unknown policy 'tenant-chek'");
        error.Hint!.ShouldContain("tenant-check");
        error.Location!.Value.Line.ShouldBe(TestConfig.LineOf(Yaml, "policies:"));
    }

    [Fact]
    public void NoPolicyRegistered_TheHintSaysWhereTheyComeFrom()
    {
        // `portico run` and `portico validate` register none.
        var errors = TestConfig.Errors(Yaml);

        errors.Where(e => e.Path == "routes[0].policies").Select(e => e.Message).ShouldBe(["unknown policy 'tenant-check'", "unknown policy 'audit'"], ignoreOrder: true);
        errors.First(e => e.Path == "routes[0].policies").Hint!.ShouldContain("AddPolicy");
    }

    [Fact]
    public void PolicyListedTwice_Refused()
    {
        var result = Load(Yaml.Replace("[tenant-check, audit]", "[audit, audit]", StringComparison.Ordinal), "audit");

        result.Errors.ErrorAt("routes[0].policies").Message.ShouldBe("a policy is listed twice");
    }

    [Theory]
    [InlineData("policies: audit")]
    [InlineData("policies: { a: b }")]
    public void PoliciesNotAList_Refused(string line)
    {
        var result = Load(Yaml.Replace("policies: [tenant-check, audit]", line, StringComparison.Ordinal), "audit");

        if (line.Contains('{', StringComparison.Ordinal)) result.Success.ShouldBeFalse();
        else result.Config!.Routes[0].Policies.ShouldBe(["audit"]); // a single name is a list of one, as everywhere
    }

    [Theory]
    [InlineData(200)]
    [InlineData(302)]
    [InlineData(600)]
    public void Reject_WithAStatusThatIsNotAnError_Throws(int status) =>
        Should.Throw<ArgumentOutOfRangeException>(() => PolicyResult.Reject(status, "no"));

    [Fact]
    public void Reject_WithoutDetail_Throws() => Should.Throw<ArgumentException>(() => PolicyResult.Reject(403, ""));

    [Fact]
    public void AddPolicy_InvalidOrRepeatedName_Throws()
    {
        var options = new PorticoOptions().AddPolicy<NoPolicy>("audit");

        Should.Throw<ArgumentException>(() => options.AddPolicy<NoPolicy>("audit"));
        Should.Throw<ArgumentException>(() => options.AddPolicy<NoPolicy>("bad name"));
        Should.Throw<ArgumentException>(() => options.AddPolicy<NoPolicy>(""));
    }

    sealed class NoPolicy : IRequestPolicy
    {
        public ValueTask<PolicyResult> EvaluateAsync(RequestPolicyContext context) => ValueTask.FromResult(PolicyResult.Continue);
    }
}

using Portico.Policies;

namespace Portico.Embedded;

/// The tenants this app knows, by the name clients send, with the id services use.
public sealed class TenantDirectory
{
    readonly Dictionary<string, string> _ids = new(StringComparer.OrdinalIgnoreCase)
    {
        ["acme"] = "t-1001",
        ["globex"] = "t-1002",
    };

    public IEnumerable<string> Names => _ids.Keys.Order(StringComparer.Ordinal);

    public string? IdOf(string name) => _ids.GetValueOrDefault(name);
}

/// A request policy: the client names its tenant in <c>X-Tenant</c>; a request without one is refused (400), an
/// unknown tenant too (403); a known one goes on with the tenant's id in <c>X-Tenant-Id</c> for the service,
/// whatever the client sent under that name.
public sealed class TenantCheck(TenantDirectory tenants) : IRequestPolicy
{
    public ValueTask<PolicyResult> EvaluateAsync(RequestPolicyContext context)
    {
        var name = context.HttpContext.Request.Headers["X-Tenant"].ToString();
        if (name.Length == 0) return ValueTask.FromResult(PolicyResult.Reject(400, "Name your tenant in the X-Tenant header."));
        if (tenants.IdOf(name) is not { } id) return ValueTask.FromResult(PolicyResult.Reject(403, "This tenant is not known here."));
        context.SetRequestHeader("X-Tenant-Id", id);
        return ValueTask.FromResult(PolicyResult.Continue);
    }
}

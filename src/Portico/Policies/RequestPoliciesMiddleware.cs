using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Problems;

namespace Portico.Policies;

/// The `policies:` of a route, as endpoint metadata: the registered names, in order.
internal sealed class RoutePolicies(string route, string gateway, string[] names)
{
    public string Route => route;
    public string Gateway => gateway;
    public string[] Names => names;
}

/// Runs a route's C# policies (<see cref="IRequestPolicy"/>) after auth: each is resolved from the request's
/// services under its name (so it may be scoped), in order; the first rejection answers.
internal sealed partial class RequestPoliciesMiddleware(RequestDelegate next, ILogger<RequestPoliciesMiddleware> logger)
{
    // Routes without policies pass straight through: no async frame.
    public Task InvokeAsync(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RoutePolicies>() is { } policies ? RunAsync(context, policies) : next(context);

    async Task RunAsync(HttpContext context, RoutePolicies policies)
    {
        var policyContext = new RequestPolicyContext(context, policies.Route, policies.Gateway);
        foreach (var name in policies.Names)
        {
            PolicyResult result;
            try
            {
                result = await context.RequestServices.GetRequiredKeyedService<IRequestPolicy>(name).EvaluateAsync(policyContext).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return; // the client went away
            }
            catch (Exception ex)
            {
                LogPolicyFailed(logger, name, policies.Route, ex);
                if (!context.Response.HasStarted)
                    await Problem.WriteAsync(context, StatusCodes.Status500InternalServerError, Problem.Types.PolicyFailed, "Internal Server Error",
                        $"Policy '{name}' failed.", route: policies.Route).ConfigureAwait(false);
                return;
            }
            if (result.Rejected)
            {
                LogPolicyRejected(logger, name, policies.Route, result.Status);
                await Problem.WriteAsync(context, result.Status, Problem.Types.PolicyRejected, result.Title!, result.Detail!, route: policies.Route).ConfigureAwait(false);
                return;
            }
        }
        await next(context).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Error, Message = "Policy {Policy} failed on route {Route}")]
    static partial void LogPolicyFailed(ILogger logger, string policy, string route, Exception exception);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Policy {Policy} rejected a request on route {Route} with {Status}")]
    static partial void LogPolicyRejected(ILogger logger, string policy, string route, int status);
}

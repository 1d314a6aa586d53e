using Microsoft.Extensions.DependencyInjection;
using Portico.Runtime;
using Portico.Services;

namespace Portico.IntegrationTests.Infrastructure;

internal static class GatewayExtensions
{
    /// The live runtime of a service in the gateway's current snapshot.
    public static ServiceRuntime Service(this GatewayUnderTest gateway, string name) =>
        gateway.App.Services.GetRequiredService<RuntimeHolder>().Current.Services[name];
}

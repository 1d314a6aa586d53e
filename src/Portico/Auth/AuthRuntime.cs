using Portico.Configuration;

namespace Portico.Auth;

/// The `auth:` section compiled for one runtime snapshot: consumer keys indexed, settings the handlers read.
/// Handlers reach it through the matched endpoint's <see cref="RouteAuth"/>, so a request always sees the
/// auth config of the snapshot that routed it.
internal sealed class AuthRuntime
{
    public AuthRuntime(AuthDefinition definition)
    {
        Definition = definition;
        Keys = new ConsumerKeyIndex(definition.Consumers);
    }

    public AuthDefinition Definition { get; }
    public ConsumerKeyIndex Keys { get; }
}

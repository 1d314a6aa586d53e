namespace Portico.IntegrationTests.Demo;

/// The demo binds fixed ports (8080, 5100…), so its tests never run in parallel with each other or others.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DemoCollection
{
    public const string Name = "Demo (fixed ports)";
}

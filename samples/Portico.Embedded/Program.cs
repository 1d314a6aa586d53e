using Portico.Embedded;

await using var app = EmbeddedApp.Create(args);
await app.RunAsync();

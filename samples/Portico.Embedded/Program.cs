using Portico.Embedded;

var app = EmbeddedApp.Create(args);
app.Run();

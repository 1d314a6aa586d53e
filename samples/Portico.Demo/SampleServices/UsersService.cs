using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.Demo.SampleServices;

/// `users` (v1): GET /users/{id} → { id, name, email, creditAccount }.
internal static class UsersService
{
    public const string Name = "users";
    public const int Port = 5101;

    public static WebApplication Create()
    {
        var app = SampleApp.CreateBuilder(Port).Build();
        SampleApp.MapHealth(app);
        app.MapGet("/users/{id:int}", (int id) => DemoUsers.Find(id) is { } user
            ? Results.Ok(user)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No user {id}; the demo has users 1 to 4."));
        return app;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.Demo.SampleServices;

/// `users-v2`: the same people in a new shape, GET /v2/people/{id} → { personId, displayName, contact, accounts }.
internal static class UsersV2Service
{
    public const string Name = "users-v2";
    public const int Port = 5102;

    public static WebApplication Create()
    {
        var app = SampleApp.CreateBuilder(Port).Build();
        SampleApp.MapHealth(app);
        app.MapGet("/v2/people/{id:int}", (int id) => DemoUsers.Find(id) is { } user
            ? Results.Ok(new Person(user.Id, user.Name, new Contact(user.Email), [new Account("credit", user.CreditAccount)]))
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No person {id}; the demo has people 1 to 4."));
        return app;
    }
}

internal sealed record Person(int PersonId, string DisplayName, Contact Contact, IReadOnlyList<Account> Accounts);

internal sealed record Contact(string Email);

internal sealed record Account(string Kind, string Id);

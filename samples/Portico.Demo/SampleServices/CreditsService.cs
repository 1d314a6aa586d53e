using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.Demo.SampleServices;

/// `credits`: GET /credits/{account} → { account, balance, currency }.
internal static class CreditsService
{
    public const string Name = "credits";
    public const int Port = 5201;

    static readonly Dictionary<string, CreditBalance> Balances = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ACC-1001"] = new("ACC-1001", 120.50m, "EUR"),
        ["ACC-1002"] = new("ACC-1002", 0m, "EUR"),
        ["ACC-1003"] = new("ACC-1003", 4200m, "GBP"),
    };

    public static WebApplication Create()
    {
        var app = SampleApp.CreateBuilder(Port).Build();
        SampleApp.MapHealth(app);
        app.MapGet("/credits/{account}", (string account) => Balances.TryGetValue(account, out var balance)
            ? Results.Ok(balance)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No account {account}; try ACC-1001, ACC-1002 or ACC-1003."));
        return app;
    }
}

internal sealed record CreditBalance(string Account, decimal Balance, string Currency);

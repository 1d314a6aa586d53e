namespace Portico.Demo.SampleServices;

/// The fixed demo users (ids 1 to 4; 4 is alice, who can log in at the identity service, and whose credit account is closed, so `credits` does not know it), shared by `users` and `users-v2` so both versions tell the same story.
internal static class DemoUsers
{
    public static readonly IReadOnlyList<DemoUser> All =
    [
        new(1, "Ada Lovelace", "ada@example.com", "ACC-1001"),
        new(2, "Grace Hopper", "grace@example.com", "ACC-1002"),
        new(3, "Alan Turing", "alan@example.com", "ACC-1003"),
        new(4, "Alice Demo", "alice@example.com", "ACC-1004"),
    ];

    public static DemoUser? Find(int id) => All.FirstOrDefault(u => u.Id == id);
}

/// A user as the v1 `users` service returns it.
internal sealed record DemoUser(int Id, string Name, string Email, string CreditAccount);

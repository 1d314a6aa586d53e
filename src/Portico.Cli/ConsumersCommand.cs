using System.CommandLine;
using Portico.Auth;

namespace Portico.Cli;

/// `portico consumers add|list|remove -c FILE`: consumers kept in the consumers file beside the config. A running
/// gateway sees changes at once (it watches the file); a restart keeps them.
internal static class ConsumersCommand
{
    public static Command Create()
    {
        var addConfig = CommonOptions.Config();
        var addId = new Argument<string>("id") { Description = "The consumer id (letters, digits, '.', '_', '-')." };
        var scopes = new Option<string[]>("--scope") { Description = "A scope granted to the consumer's keys (repeat for several).", AllowMultipleArgumentsPerToken = true };
        var groups = new Option<string[]>("--group") { Description = "A group the consumer belongs to (repeat for several); routes can require it with claims: { groups: [...] }.", AllowMultipleArgumentsPerToken = true };
        var add = new Command("add", "Add a consumer.") { addConfig, addId, scopes, groups };
        add.SetAction(parse =>
        {
            if (ConsumerFileCommands.Open(parse, parse.GetRequiredValue(addConfig)) is not var (config, store)) return 1;
            using var _ = store;
            var id = parse.GetRequiredValue(addId);
            if (!System.Text.RegularExpressions.Regex.IsMatch(id, "^[A-Za-z0-9][A-Za-z0-9._-]*$"))
                return ConsumerFileCommands.Fail(parse, $"'{id}' is not a valid consumer id: use letters, digits, '.', '_' and '-'.");
            var memberOf = parse.GetValue(groups) ?? [];
            if (memberOf.FirstOrDefault(g => !System.Text.RegularExpressions.Regex.IsMatch(g, "^[A-Za-z0-9][A-Za-z0-9._-]*$")) is { } badGroup)
                return ConsumerFileCommands.Fail(parse, $"'{badGroup}' is not a valid group name: use letters, digits, '.', '_' and '-'.");
            if (config.Auth!.Consumers.Any(c => c.Id == id))
                return ConsumerFileCommands.Fail(parse, $"consumer '{id}' is declared in the config file; manage it there.");
            var added = store.Update(data =>
            {
                if (data.Consumers.Any(c => c.Id == id)) return false;
                data.Consumers.Add(new ConsumerFile.StoredConsumer(id, [.. parse.GetValue(scopes) ?? []], [], memberOf.Length == 0 ? null : [.. memberOf]));
                return true;
            });
            if (!added) return ConsumerFileCommands.Fail(parse, $"consumer '{id}' already exists.");
            parse.InvocationConfiguration.Output.WriteLine($"consumer {id} added; create a key with: portico keys create --consumer {id} -c {parse.GetRequiredValue(addConfig)}");
            return 0;
        });

        var listConfig = CommonOptions.Config();
        var list = new Command("list", "List consumers (from the config and from the consumers file).") { listConfig };
        list.SetAction(parse =>
        {
            if (ConsumerFileCommands.Open(parse, parse.GetRequiredValue(listConfig)) is not var (config, store)) return 1;
            using var _ = store;
            var output = parse.InvocationConfiguration.Output;
            foreach (var c in config.Auth!.Consumers)
                output.WriteLine($"{c.Id,-24} config   keys {c.Keys.Count,2}  scopes {string.Join(",", c.Scopes)}  groups {string.Join(",", c.Groups ?? [])}");
            foreach (var c in store.Load().Consumers)
                output.WriteLine($"{c.Id,-24} runtime  keys {c.Keys.Count,2}  scopes {string.Join(",", c.Scopes)}  groups {string.Join(",", c.Groups ?? [])}");
            return 0;
        });

        var removeConfig = CommonOptions.Config();
        var removeId = new Argument<string>("id") { Description = "The consumer to remove, with all its keys." };
        var remove = new Command("remove", "Remove a consumer created at runtime, and its keys.") { removeConfig, removeId };
        remove.SetAction(parse =>
        {
            if (ConsumerFileCommands.Open(parse, parse.GetRequiredValue(removeConfig)) is not var (_, store)) return 1;
            using var _ = store;
            var id = parse.GetRequiredValue(removeId);
            var removed = store.Update(data => data.Consumers.RemoveAll(c => c.Id == id) > 0);
            if (!removed) return ConsumerFileCommands.Fail(parse, $"no consumer '{id}' in {store.Description} (consumers declared in the config are removed there).");
            parse.InvocationConfiguration.Output.WriteLine($"consumer {id} removed; its keys no longer work.");
            return 0;
        });
        return new Command("consumers", "Consumers (applications) that own API keys.") { add, list, remove };
    }
}

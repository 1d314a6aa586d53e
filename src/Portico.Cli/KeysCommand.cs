using System.CommandLine;
using System.Globalization;
using Portico.Auth;

namespace Portico.Cli;

/// `portico keys create|list|revoke|hash`. With `-c FILE`, `create` stores the new key's hash for a runtime consumer
/// (the consumers file; a running gateway accepts it at once); without, it prints the hash to paste into the config.
/// The key itself is printed once and stored nowhere.
internal static class KeysCommand
{
    public static Command Create()
    {
        var consumer = new Option<string?>("--consumer") { Description = "The consumer the key is for." };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The configuration file: store the key for a consumer created with 'portico consumers add'." };
        var expires = new Option<string?>("--expires") { Description = "When the key stops working (ISO 8601 date or time, UTC if no offset)." };
        var create = new Command("create", "Generate an API key; print it once with its hash.") { consumer, config, expires };
        create.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            DateTimeOffset? expiry = null;
            if (parse.GetValue(expires) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                    return ConsumerFileCommands.Fail(parse, $"'{text}' is not a date; use e.g. 2027-01-31 or 2027-01-31T12:00:00Z.");
                expiry = at;
            }
            var key = ApiKeys.Generate();
            var hash = ApiKeys.Hash(key);
            if (parse.GetValue(config) is { } file)
            {
                var id = parse.GetValue(consumer);
                if (id is null) return ConsumerFileCommands.Fail(parse, "--consumer is required with --config.");
                if (ConsumerFileCommands.Open(parse, file) is not var (_, store)) return 1;
                using var _ = store;
                var stored = store.Update(data =>
                {
                    var owner = data.Consumers.FirstOrDefault(c => c.Id == id);
                    owner?.Keys.Add(new ConsumerFile.StoredKey(ConsumerFile.KeyId(hash), hash, DateTimeOffset.UtcNow, expiry));
                    return owner is not null;
                });
                if (!stored) return ConsumerFileCommands.Fail(parse, $"no runtime consumer '{id}'; add it with: portico consumers add {id} -c {file}");
                output.WriteLine($"key:  {key}");
                output.WriteLine($"id:   {ConsumerFile.KeyId(hash)}");
                output.WriteLine("The key is shown only now; give it to the consumer. Only its hash is stored.");
                return 0;
            }
            output.WriteLine($"key:  {key}");
            output.WriteLine($"hash: {hash}");
            output.WriteLine("The key is shown only now; give it to the consumer. Put only the hash in the config:");
            var snippet = expiry is null ? $"\"{hash}\"" : $"{{ hash: \"{hash}\", expires: {expiry.Value.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} }}";
            output.WriteLine($"  auth: {{ consumers: {{ {parse.GetValue(consumer) ?? "<consumer-id>"}: {{ keys: [{snippet}] }} }} }}");
            return 0;
        });

        var listConfig = CommonOptions.Config();
        var listConsumer = new Option<string?>("--consumer") { Description = "Only this consumer's keys." };
        var list = new Command("list", "List keys by id (never the keys themselves).") { listConfig, listConsumer };
        list.SetAction(parse =>
        {
            if (ConsumerFileCommands.Open(parse, parse.GetRequiredValue(listConfig)) is not var (cfg, store)) return 1;
            using var _ = store;
            var only = parse.GetValue(listConsumer);
            var output = parse.InvocationConfiguration.Output;
            foreach (var c in cfg.Auth!.Consumers.Where(c => only is null || c.Id == only))
            {
                foreach (var k in c.Keys) output.WriteLine($"{ConsumerFile.KeyId(k.Hash)}  {c.Id,-24} config   expires {Format(k.Expires)}");
            }
            foreach (var c in store.Load().Consumers.Where(c => only is null || c.Id == only))
            {
                foreach (var k in c.Keys) output.WriteLine($"{k.Id}  {c.Id,-24} runtime  expires {Format(k.Expires)}  created {k.Created.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
            }
            return 0;
        });

        var revokeConfig = CommonOptions.Config();
        var keyId = new Argument<string>("key-id") { Description = "The key's id, as 'keys list' shows it (k_…)." };
        var revoke = new Command("revoke", "Revoke a key created at runtime; a running gateway refuses it at once.") { revokeConfig, keyId };
        revoke.SetAction(parse =>
        {
            if (ConsumerFileCommands.Open(parse, parse.GetRequiredValue(revokeConfig)) is not var (cfg, store)) return 1;
            using var _ = store;
            var id = parse.GetRequiredValue(keyId);
            if (cfg.Auth!.Consumers.SelectMany(c => c.Keys).Any(k => ConsumerFile.KeyId(k.Hash) == id))
                return ConsumerFileCommands.Fail(parse, $"key {id} is declared in the config file; remove its hash there and reload.");
            var revoked = store.Update(data => data.Consumers.Sum(c => c.Keys.RemoveAll(k => k.Id == id)) > 0);
            if (!revoked) return ConsumerFileCommands.Fail(parse, $"no key {id} in {store.Description}.");
            parse.InvocationConfiguration.Output.WriteLine($"key {id} revoked.");
            return 0;
        });

        var keyArgument = new Argument<string>("key") { Description = "The API key to hash." };
        var hash = new Command("hash", "Print the config hash (sha256:<hex>) of an API key.") { keyArgument };
        hash.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(ApiKeys.Hash(parse.GetRequiredValue(keyArgument)));
            return 0;
        });
        return new Command("keys", "API keys for consumers.") { create, list, revoke, hash };
    }

    static string Format(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "never";
}

using System.CommandLine;
using Portico.Auth;

namespace Portico.Cli;

/// `portico keys create` prints a new API key (once; it is not stored anywhere) and the hash to put in config;
/// `portico keys hash KEY` prints the hash of an existing key.
internal static class KeysCommand
{
    public static Command Create()
    {
        var consumer = new Option<string?>("--consumer") { Description = "Consumer id, to print a ready-to-paste config snippet." };
        var create = new Command("create", "Generate an API key; print it once with its hash for auth.consumers.<id>.keys.") { consumer };
        create.SetAction(parse =>
        {
            var key = ApiKeys.Generate();
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"key:  {key}");
            output.WriteLine($"hash: {ApiKeys.Hash(key)}");
            output.WriteLine("The key is shown only now; give it to the consumer. Put only the hash in the config:");
            output.WriteLine($"  auth: {{ consumers: {{ {parse.GetValue(consumer) ?? "<consumer-id>"}: {{ keys: [\"{ApiKeys.Hash(key)}\"] }} }} }}");
            return 0;
        });

        var keyArgument = new Argument<string>("key") { Description = "The API key to hash." };
        var hash = new Command("hash", "Print the config hash (sha256:<hex>) of an API key.") { keyArgument };
        hash.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(ApiKeys.Hash(parse.GetRequiredValue(keyArgument)));
            return 0;
        });
        return new Command("keys", "API keys for consumers.") { create, hash };
    }
}

using Microsoft.Extensions.Configuration;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Configuration;

/// The config from an app's IConfiguration section: the same binding and checks as a file, errors by key path.
public sealed class ConfigurationSectionTests
{
    static ConfigLoadResult Load(Dictionary<string, string?> values) =>
        ConfigLoading.LoadConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Portico"), "configuration section 'Portico'", null,
            BuiltInRouteKinds.Set);

    static Dictionary<string, string?> Valid() => new()
    {
        ["Portico:gateways:web:listen:0"] = "http://127.0.0.1:8080",
        ["Portico:services:users:urls:0"] = "http://127.0.0.1:5001",
        ["Portico:services:users:urls:1"] = "http://127.0.0.1:5002",
        ["Portico:services:users:timeout"] = "2s",
        ["Portico:routes:0:name"] = "users",
        ["Portico:routes:0:match:path"] = "/api/users/{id}",
        ["Portico:routes:0:match:methods:0"] = "GET",
        ["Portico:routes:0:service"] = "users",
        ["Portico:routes:1:name"] = "legacy",
        ["Portico:routes:1:match:path"] = "/{**rest}",
        ["Portico:routes:1:service"] = "users",
    };

    [Fact]
    public void Section_BindsLikeAFile_ListsFromIndexedKeys()
    {
        var result = Load(Valid());

        result.Errors.ShouldBeEmpty();
        var config = result.Config!;
        config.Gateways.Single().Listen.ShouldBe(["http://127.0.0.1:8080"]);
        config.Services.Single().Urls.Select(u => u.Port).ShouldBe([5001, 5002]);
        config.Services.Single().Timeout.ShouldBe(TimeSpan.FromSeconds(2));
        config.Routes.Select(r => r.Name).ShouldBe(["users", "legacy"]);
        config.Routes[0].Match.Methods.ShouldBe(["GET"]);
    }

    [Fact]
    public void Mistakes_ReportedByKeyPath()
    {
        var values = Valid();
        values["Portico:routes:0:matc"] = "x";
        values["Portico:services:users:timeout"] = "soon";
        values["Portico:routes:1:service"] = "userz";

        var errors = Load(values).Errors;

        errors.ErrorAt("routes[0].matc").Hint!.ShouldContain("match");
        errors.ErrorAt("services.users.timeout");
        errors.ErrorAt("routes[1].service").Message.ShouldBe("unknown service 'userz'");
        errors.ShouldAllBe(e => e.Location!.Value.Source == "configuration section 'Portico'");
    }

    [Fact]
    public void IndexedKeysWithAGap_AreAMapping_NotAList()
    {
        var values = Valid();
        values.Remove("Portico:services:users:urls:0");

        // urls has only the key 1: not a list, so the binder says what it expected.
        Load(values).Errors.ErrorAt("services.users.urls").Message.ShouldContain("list");
    }
}

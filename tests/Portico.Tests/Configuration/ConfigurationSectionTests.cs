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

    [Fact]
    public void EmptySection_Refused_NotReadAsAnEmptyConfig()
    {
        var errors = Load([]).Errors;

        errors.ShouldHaveSingleItem().Message.ShouldBe("the configuration section 'Portico' is empty or missing");
    }

    [Fact]
    public void TenThousandRoutes_LoadedInOrder()
    {
        var values = Valid();
        for (var i = 2; i < 10_000; i++)
        {
            values[$"Portico:routes:{i}:name"] = $"r{i}";
            values[$"Portico:routes:{i}:match:path"] = $"/r/{i}";
            values[$"Portico:routes:{i}:service"] = "users";
        }

        var result = Load(values);

        result.Errors.ShouldBeEmpty();
        result.Config!.Routes.Count.ShouldBe(10_000);
        result.Config.Routes[9_999].Match.Path.ShouldBe("/r/9999");
    }

    [Fact]
    public void MebibyteValue_RefusedWhereItIs()
    {
        var values = Valid();
        values["Portico:routes:0:match:path"] = "/" + new string('a', 1 << 20) + "/{id";

        var errors = Load(values).Errors;

        errors.ErrorAt("routes[0].match.path");
    }

    [Theory]
    [InlineData("/api/\0users")]
    [InlineData("/api/users\r\nX-Injected: 1")]
    public void ControlCharactersInAPath_RefusedWhereTheyAre(string path)
    {
        var values = Valid();
        values["Portico:routes:0:match:path"] = path;

        var errors = Load(values).Errors;

        errors.ErrorAt("routes[0].match.path");
    }

    [Theory]
    [InlineData("Portico:routes:0:na\0me")]
    [InlineData("Portico:routes:0:na\r\nme")]
    [InlineData("Portico:routes:0:match:pa th")]
    public void ControlCharactersInAKey_AnUnknownKey_Located(string key)
    {
        var values = Valid();
        values[key] = "x";

        var errors = Load(values).Errors;

        errors.ShouldNotBeEmpty();
        errors.ShouldAllBe(e => e.Path.StartsWith("routes[0]", StringComparison.Ordinal));
    }

    [Fact]
    public void DeeplyNestedKey_AnUnknownKey_NoStackOverflow()
    {
        var values = Valid();
        values["Portico:routes:0:match:" + string.Join(':', Enumerable.Repeat("deeper", 5_000))] = "x";

        var errors = Load(values).Errors;

        errors.ShouldNotBeEmpty();
        errors.ShouldAllBe(e => e.Path.StartsWith("routes[0].match", StringComparison.Ordinal));
    }

    [Fact]
    public void HugeListIndex_NotAList_Refused()
    {
        var values = Valid();
        values["Portico:routes:99999999:name"] = "far";

        var errors = Load(values).Errors;

        errors.ShouldNotBeEmpty();
        errors.ShouldAllBe(e => e.Path.StartsWith("routes", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Portico:routes:0:match:path", "/a\0b", "routes[0].match.path")]
    [InlineData("Portico:routes:99999999:name", "far", "routes")]
    [InlineData("Portico:routes:0:na\r\nme", "x", "routes[0]")]
    public void AddPortico_HostileSection_ConfigExceptionWithLocatedErrors(string key, string value, string at)
    {
        var values = Valid();
        values[key] = value;
        var section = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Portico");

        var thrown = Should.Throw<ConfigException>(() => new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddPortico(o => o.Configuration = section));

        thrown.Errors.ShouldNotBeEmpty();
        thrown.Errors.ShouldAllBe(e => e.Path.StartsWith(at, StringComparison.Ordinal) && e.Location!.Value.Source == "configuration section 'Portico'");
    }
}

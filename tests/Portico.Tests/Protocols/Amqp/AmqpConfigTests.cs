using Portico.Protocols.Amqp;
using Portico.Tests.Configuration;

namespace Portico.Tests.Protocols.Amqp;

public sealed class AmqpConfigTests
{
    static string Config(string url, string route = "amqp: { exchange: orders, routingKey: \"order.{kind}\" }", string service = "orders") => $$"""
        services:
          orders: { protocol: amqp, url: "{{url}}" }
          users: { urls: [http://127.0.0.1:5101] }
        routes:
          - name: order
            match: { path: "/api/orders/{kind}", methods: [POST] }
            service: {{service}}
            {{route}}
        """;

    [Fact]
    public void Load_AmqpServiceWithEnvCredentials_BindsTheBrokerAndRoute()
    {
        var config = TestConfig.LoadValid(Config("amqp://${RABBIT_USER}:${RABBIT_PASS}@127.0.0.1:5672/"), new Dictionary<string, string> { ["RABBIT_USER"] = "shop", ["RABBIT_PASS"] = "p%40ss" });

        var amqp = config.Services[0].ProtocolSection.ShouldBeOfType<AmqpServiceDefinition>();
        amqp.Broker!.UserInfo.ShouldBe("shop:p%40ss");
        amqp.RecoveryInterval.ShouldBe(AmqpServiceDefinition.DefaultRecoveryInterval);
        config.Services[0].Urls.ShouldBeEmpty();
        var route = config.Routes[0].Kind.ShouldBeOfType<AmqpRouteDefinition>();
        (route.Exchange, route.RoutingKey, route.Rpc).ShouldBe(("orders", "order.{kind}", false));
    }

    [Fact]
    public void Definition_Printed_NeverShowsThePassword()
    {
        var config = TestConfig.LoadValid(Config("amqp://shop:s3cret@broker.internal:5673/sales"));

        var text = config.Services[0].ToString();

        text.ShouldNotContain("s3cret");
        text.ShouldContain("amqp://broker.internal:5673/sales");
    }

    [Fact]
    public void Load_EmptyUrl_ConfiguresNoBroker()
    {
        var config = TestConfig.LoadValid(Config("${RABBIT_URL:-}"));

        ((AmqpServiceDefinition)config.Services[0].ProtocolSection!).Broker.ShouldBeNull();
    }

    [Theory]
    [InlineData("http://shop:s3cret@127.0.0.1:5672/")]
    [InlineData("amqp://shop:s3cret@127.0.0.1:5672/a/b")]
    public void Load_InvalidBrokerUrl_IsAnErrorThatDoesNotRepeatThePassword(string url)
    {
        var error = TestConfig.Errors(Config(url)).ErrorAt("services.orders.url");

        error.Message.ShouldEndWith("is not a valid AMQP URI");
        error.ToString().ShouldNotContain("s3cret");
    }

    [Fact]
    public void Load_RoutingKeyValueNotCapturedByThePath_SuggestsTheClosest()
    {
        var error = TestConfig.Errors(Config("amqp://127.0.0.1/", "amqp: { routingKey: \"order.{knd}\" }")).ErrorAt("routes[0].amqp.routingKey");

        error.Message.ShouldBe("'{knd}' is not captured by the path '/api/orders/{kind}'");
        error.Hint.ShouldBe("did you mean 'kind'?");
    }

    [Fact]
    public void Load_BadContentTypeAndMissingRoutingKey_AreReported()
    {
        var errors = TestConfig.Errors(Config("amqp://127.0.0.1/", "amqp: { exchange: orders, contentTypes: [json] }"));

        errors.ErrorAt("routes[0].amqp.routingKey").Message.ShouldBe("'routingKey' is required");
    }

    [Fact]
    public void Load_ContentTypeThatIsNoMediaType_IsAnError()
    {
        var errors = TestConfig.Errors(Config("amqp://127.0.0.1/", "amqp: { routingKey: x, contentTypes: [json] }"));

        errors.ErrorAt("routes[0].amqp.contentTypes").Message.ShouldBe("'json' is not a media type");
    }

    [Fact]
    public void Load_AmqpRouteToAnHttpService_IsAnError()
    {
        var errors = TestConfig.Errors(Config("amqp://127.0.0.1/", service: "users"));

        errors.ErrorAt("routes[0].amqp").Message.ShouldBe("service 'users' is not an AMQP service");
    }

    [Fact]
    public void Load_RouteToABrokerWithoutAmqpSection_IsAnError()
    {
        var errors = TestConfig.Errors(Config("amqp://127.0.0.1/", route: "rewrite: /x"));

        errors.ErrorAt("routes[0]").Message.ShouldBe("service 'orders' is a message broker: the route must say where to publish");
    }

    [Fact]
    public void Load_HttpOnlyKeysOnABroker_AreErrors()
    {
        var errors = TestConfig.Errors("""
            services:
              orders: { protocol: amqp, url: "amqp://127.0.0.1/", retry: { attempts: 2 }, health: { path: /h } }
            """);

        errors.ErrorAt("services.orders.retry").Message.ShouldBe("'retry' does not apply to an AMQP service");
        errors.ErrorAt("services.orders.health").Message.ShouldBe("'health' does not apply to an AMQP service");
    }

    [Fact]
    public void Load_BrokerWithoutUrl_IsAnError()
    {
        var errors = TestConfig.Errors("""
            services:
              orders: { protocol: amqp }
            """);

        errors.ErrorAt("services.orders.url").Message.ShouldBe("'url' is required");
    }
}

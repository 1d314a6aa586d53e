using Portico.Hosting;
using Portico.Routing;

namespace Portico.Tests.Routing;

public sealed class RoutePrecedenceShorterTemplateTests
{
    [Fact]
    public void Sort_TemplateAndItsCatchAllOrOptionalExtension_ShorterTemplateFirst()
    {
        var loaded = ConfigLoader.LoadText("""
            services:
              a:
                urls: [http://127.0.0.1:5100]
            routes:
              - name: api-rest
                match:
                  path: /api/{**rest}
                service: a
              - name: api
                match:
                  path: /api
                service: a
              - name: user-optional
                match:
                  path: /users/{id?}
                service: a
              - name: users
                match:
                  path: /users
                service: a
            """, "test.yaml");
        loaded.Errors.ShouldBeEmpty();

        var order = RoutePrecedence.Sort(loaded.Config!.Routes).Select(r => r.Name).ToList();

        order.IndexOf("api").ShouldBeLessThan(order.IndexOf("api-rest"));
        order.IndexOf("users").ShouldBeLessThan(order.IndexOf("user-optional"));
    }
}

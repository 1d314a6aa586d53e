using Newtonsoft.Json.Linq;
using NJsonSchema.Validation;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Schema;

public sealed class SchemaTests
{
    /// Every key the binder accepts, at least once.
    const string KitchenSink = """
        $schema: ../docs/portico.schema.json
        x-common: &common { timeout: 5s }
        gateways:
          web:
            listen: ["http://127.0.0.1:8080", "http://[::1]:8080"]
            timeout: 10s
            auth: [apikey]
            accessLog: { enabled: true, statuses: [4xx, 503, 500-504], sample: 0.5 }
            trustTraceContext: false
            health: { live: /live, ready: /ready }
            headers:
              request: { set: { X-A: "1" }, append: { X-B: b }, remove: [Cookie], keep: [X_Tenant] }
              response: { set: { X-Gateway: web }, append: { Vary: Accept }, remove: Server }
          secure:
            listen: https://0.0.0.0:8443
            health: false
            tls: { certificate: server.pem, key: server.key, password: secret }
          quiet: { listen: ["http://127.0.0.1:8082"], health: off, rateLimit: standard, formats: [json, xml], xml: { root: doc, itemName: entry, formatQuery: true, maxDepth: 32, maxBodySize: 64KiB } }
          legacy:
            listen: ["http://127.0.0.1:8083"]
            paths: { mergeSlashes: true, escapedSlashes: keep, backslashes: decode, pathParameters: keep, trailingDots: reject }
        services:
          users:
            <<: *common
            urls: [http://127.0.0.1:5101, http://127.0.0.1:5102]
            loadBalancing: least-requests
            health: { path: /healthz, interval: 5s, timeout: 2s, healthyThreshold: 1, unhealthyThreshold: 2 }
            passiveHealth: { enabled: true, consecutiveFailures: 5, ejectFor: 30s }
            connectTimeout: 1s
            maxConnectionsPerServer: 100
            required: true
            retry: { attempts: 2, backoff: 50ms, maxBackoff: 1s, onStatus: [502, 503], budget: 0.2, minRetriesPerSecond: 10 }
            circuitBreaker: { failureRatio: 0.5, minimumThroughput: 20, samplingDuration: 30s, breakFor: 30s }
          users-v2: { url: http://127.0.0.1:5103, passiveHealth: false, required: false }
          other: { urls: "http://127.0.0.1:5104", passiveHealth: off, retry: { onStatus: 503 } }
          inventory: { protocol: grpc, urls: [http://127.0.0.1:5301], proto: protos/inventory.proto, emitDefaults: false }
          catalog: { protocol: graphql, urls: [http://127.0.0.1:5401/graphql] }
          orders: { protocol: amqp, url: "amqp://guest:guest@127.0.0.1:5672/", recoveryInterval: 2s, required: false }
        routes:
          - name: user
            match:
              path: "/api/users/{id}"
              methods: [GET]
              hosts: [api.example.com]
              headers: { Api-Version: "2", X-Flag: [a, b], X-Any: "*" }
              query: { v: 2 }
              accept: [application/vnd.portico.v2+json]
            service: users
            rewrite: /users/{id}
            headers: { request: { set: { X-Route: user } }, response: { remove: [X-Internal] } }
            timeout: 2s
            order: -1
            gateways: [web, quiet]
            auth: [apikey, jwt, basic, session]
            scopes: [users:read]
            claims: { role: [admin, ops], tenant: "*" }
            passCredentials: false
            rateLimit: burst
            cache: short
            otherMethods: reject
            policies: [tenant-check]
          - name: item
            match: { path: "/api/items/{sku}", methods: [GET] }
            service: inventory
            grpc: { method: inventory.Inventory/GetItem, body: "*", responseBody: name }
          - name: inventory
            match: { path: /api/v2 }
            service: inventory
            grpc: { annotations: true }
          - name: product
            match: { path: "/api/products/{id}", methods: [GET] }
            service: catalog
            graphql: { query: "query Product($id: ID!) { product(id: $id) { id name } }", operationName: Product, select: product, persistedQuery: true }
          - name: product-by-hash
            match: { path: "/api/v2/products/{id}", methods: [GET] }
            service: catalog
            graphql: { persistedQuery: 8f2b1c7a9e4d3f6a5b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a, variables: { id: "ID!" } }
          - name: place-order
            match: { path: "/api/orders/{kind}", methods: [POST] }
            service: orders
            amqp: { exchange: orders, routingKey: "order.{kind}", rpc: false, contentTypes: [application/json] }
          - name: canary
            match: { path: "/api/checkout/{**rest}", methods: GET }
            split: { users: 90, users-v2: 10 }
            sticky: { cookie: canary, cookieTtl: 1d }
            gateways: web
            anonymous: true
          - name: by-header
            match: { path: "/api/orders/{**rest}" }
            split: { users: 1, other: 1 }
            sticky: { header: X-User-Id }
          - name: profile
            match: { path: "/api/profile/{id}" }
            aggregate:
              shape: merged
              deadline: 3s
              maxResponseSize: 1MiB
              parts:
                user: { service: users, path: "/users/{id}", select: [id, name, orders], rename: { name: fullName }, timeout: 1s }
                credit:
                  service: other
                  method: POST
                  path: "/credits/{user.id}"
                  query: { owner: "{user.name}" }
                  headers: { X-Caller: "{id}" }
                  body: true
                  optional: true
                products: { service: other, path: "/products/{item.id}", forEach: user.orders, concurrency: 2, maxItems: 50 }
            formats: xml
            xml: { root: profile }
        auth:
          apikey: { header: X-Api-Key, query: api_key }
          jwt:
            issuer: https://id.example
            audience: [portico]
            jwks: https://id.example/.well-known/jwks.json
            algorithms: [RS256, ES256]
            clockSkew: 30s
            jwksRefresh: 10m
            jwksMinRefresh: 30s
            subjectClaim: sub
            scopeClaim: scope
            maxTokenSize: 8KiB
          consumers:
            mobile-app:
              scopes: [users:read]
              groups: [partners]
              keys:
                - sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
                - { hash: sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9, expires: 2027-01-31 }
          consumersFile: portico-consumers.json
          basic: { realm: portico }
          session: { cookie: portico_session, login: { service: users, path: /auth/verify }, ttl: 8h, idle: 30m, secure: true, store: memory, loginPath: /auth/login, logoutPath: /auth/logout }
          identityHeaders: { subject: X-User-Id, scopes: X-User-Scopes, consumer: X-Consumer, method: X-Auth-Method, groups: X-Consumer-Groups }
        store: { kind: redis, connection: "127.0.0.1:6379", timeout: 250ms }
        trustedProxies: [10.0.0.0/8, 127.0.0.1]
        rateLimits:
          standard: { algorithm: sliding-window, limit: 100, window: 1m, key: [consumer, route], onStoreDown: deny, segments: 6 }
          burst: { algorithm: token-bucket, limit: 10, window: 1s, key: "header:X-Tenant", onStoreDown: allow }
          slots: { algorithm: concurrency, limit: 4, key: ip }
        cachePolicies:
          short: { ttl: 30s, vary: [Accept, Accept-Language], query: [page, size], ignoreUpstreamCacheControl: false }
        server:
          shutdownTimeout: 30s
          limits: { maxRequestBodySize: 30MB, maxRequestHeadersSize: 32768, bufferedBodies: 256MiB }
          logging: { format: json, level: info }
          cache: { size: 100MiB, maxBodySize: 8MiB }
        telemetry:
          listen: http://127.0.0.1:9464
          serviceName: portico-edge
          metrics: { enabled: true, path: /metrics, otlp: true }
          tracing: { enabled: true, sampleRatio: 0.25 }
          otlp: { endpoint: "http://127.0.0.1:4317", protocol: grpc, headers: { api-key: secret }, interval: 15s }
          accessLog: { enabled: true, output: stdout, statuses: [5xx], sample: 1 }
          requestId: { enabled: true, header: X-Correlation-Id }
        """;

    [Fact]
    public void KitchenSinkConfig_PassesTheSchemaAndTheLoader()
    {
        var schemaErrors = SchemaFixture.ValidateYaml(KitchenSink);
        // As an app that embeds Portico and registered the policy would load it.
        var result = ConfigLoading.LoadText(KitchenSink, "kitchen-sink.yaml", BuiltInRouteKinds.Set, _ => null, [], ["tenant-check"]);

        schemaErrors.ShouldBeEmpty(SchemaFixture.Describe(schemaErrors));
        result.Errors.ShouldBeEmpty(string.Join(Environment.NewLine, result.Errors));
    }

    [Fact]
    public void KitchenSinkConfig_UsesEveryKeyTheSchemaDescribes()
    {
        var schema = JObject.Parse(File.ReadAllText(RepoFiles.SchemaPath));
        var described = schema.Descendants().OfType<JProperty>().Where(p => p.Name == "properties").SelectMany(p => ((JObject)p.Value).Properties().Select(x => x.Name)).ToHashSet();
        var used = ((JContainer)ConfigJson.FromText(KitchenSink, "kitchen-sink.yaml")).Descendants().OfType<JProperty>().Select(p => p.Name).ToHashSet();

        described.Except(used).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("services:\n  users: { urls: [http://127.0.0.1:5101], timout: 5s }\n", "services.users.timout")]
    [InlineData("servics: {}\n", "servics")]
    [InlineData("routes:\n  - { name: a, match: { path: /a, metods: [GET] }, service: users }\n", "routes[0].match.metods")]
    [InlineData("server: { limits: { maxBodySize: 1MB } }\n", "server.limits.maxBodySize")]
    public void Schema_UnknownKey_IsRejected(string yaml, string path)
    {
        var errors = SchemaFixture.ValidateYaml(yaml);

        SchemaFixture.Flatten(errors).ShouldContain(e => e.Kind == ValidationErrorKind.NoAdditionalPropertiesAllowed && e.Path!.EndsWith(path.Split('.').Last(), StringComparison.Ordinal), SchemaFixture.Describe(errors));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("-1s")]
    [InlineData("\"5 s\"")]
    public void Schema_BadDuration_IsRejected(string value)
    {
        var errors = SchemaFixture.ValidateYaml($"services:\n  users: {{ urls: [http://127.0.0.1:5101], timeout: {value} }}\n");

        errors.ShouldNotBeEmpty();
        ValueParsers.TryParseDuration(value.Trim('"'), out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("250ms")]
    [InlineData("1m30s")]
    [InlineData("1.5s")]
    [InlineData("\"${TIMEOUT:-5s}\"")]
    public void Schema_GoodDuration_IsAccepted(string value)
    {
        var errors = SchemaFixture.ValidateYaml($"services:\n  users: {{ urls: [http://127.0.0.1:5101], timeout: {value} }}\n");

        errors.ShouldBeEmpty(SchemaFixture.Describe(errors));
    }

    [Theory]
    [InlineData("services:\n  users: { urls: [http://127.0.0.1:5101], loadBalancing: round-robbin }\n")]
    [InlineData("services:\n  users: { timeout: 5s }\n")]
    [InlineData("services:\n  users: { urls: [] }\n")]
    [InlineData("services:\n  users: { urls: [ftp://127.0.0.1:21] }\n")]
    [InlineData("routes:\n  - { name: a, match: { path: /a } }\n")]
    [InlineData("routes:\n  - { name: a, match: { path: /a }, service: a, split: { a: 1 } }\n")]
    [InlineData("routes:\n  - { name: a, service: a }\n")]
    [InlineData("gateways:\n  web: { listen: [\"127.0.0.1:8080\"] }\n")]
    [InlineData("gateways:\n  web: { health: true }\n")]
    [InlineData("services:\n  users: { urls: [http://127.0.0.1:5101], retry: { attempts: 0 } }\n")]
    [InlineData("services:\n  users: { urls: [http://127.0.0.1:5101], retry: { onStatus: [404] } }\n")]
    [InlineData("server: { limits: { maxRequestBodySize: 10 TB } }\n")]
    [InlineData("server: { logging: { level: verbose } }\n")]
    [InlineData("rateLimits:\n  p: { algorithm: leaky, limit: 5, window: 1m }\n")]
    [InlineData("rateLimits:\n  p: { algorithm: fixed-window, window: 1m }\n")]
    [InlineData("store: { kind: etcd }\n")]
    [InlineData("routes:\n  - { name: a, service: a, grpc: { annotations: true, method: p.S/M } }\n")]
    [InlineData("routes:\n  - { name: a, service: a, match: { methods: [GET] }, grpc: { annotations: true } }\n")]
    public void Schema_ConfigTheLoaderRejects_IsRejectedToo(string yaml)
    {
        var errors = SchemaFixture.ValidateYaml(yaml);
        var loaded = ConfigLoader.LoadText(yaml, "test.yaml", _ => null, []);

        errors.ShouldNotBeEmpty();
        loaded.Success.ShouldBeFalse();
    }
}

using System.Globalization;

namespace Portico.Configuration;

/// Binding of the `auth:` section and of the route keys that choose schemes (`auth`, `scopes`, `anonymous`, `passCredentials`).
internal static partial class ConfigBinder
{
    static RouteDefinition BindRouteAuth(MappingReader r, RouteDefinition route) => route with
    {
        Auth = r.Has("auth") ? r.StringList("auth") : null,
        Scopes = r.StringList("scopes"),
        Anonymous = r.Bool("anonymous") ?? false,
        PassCredentials = r.Bool("passCredentials") ?? false,
        Claims = BindConditions(r, "claims"),
    };

    static AuthDefinition? BindAuth(ConfigNode? node, List<ConfigError> errors)
    {
        if (node is null) return null;
        var a = new MappingReader(node, errors, "auth settings");
        ApiKeyDefinition? apiKey = null;
        if (a.Node("apikey") is { } keyNode)
        {
            var k = new MappingReader(keyNode, errors, "API key settings");
            apiKey = new ApiKeyDefinition(k.String("header") ?? ApiKeyDefinition.DefaultHeader, k.String("query"));
            k.Done();
        }
        JwtDefinition? jwt = null;
        if (a.Node("jwt") is { } jwtNode) jwt = BindJwt(jwtNode, errors);

        var consumers = new List<ConsumerDefinition>();
        foreach (var (id, value) in a.Entries("consumers"))
        {
            var c = new MappingReader(value, errors, $"consumer '{id.Value}'");
            var keys = new List<ConsumerKeyDefinition>();
            var keysNode = c.Node("keys");
            foreach (var item in keysNode is ConfigSequence seq ? seq.Items : keysNode is null ? [] : [keysNode])
            {
                if (item is ConfigScalar { Value: { } hash }) keys.Add(new ConsumerKeyDefinition(hash, null));
                else
                {
                    var kr = new MappingReader(item, errors, "an API key");
                    var h = kr.String("hash", required: true, hint: "the key's hash as printed by 'portico keys create', e.g. sha256:9f86…");
                    DateTimeOffset? expires = null;
                    if (kr.String("expires") is { } text)
                    {
                        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) expires = at;
                        else kr.Error(kr.Node("expires")!, $"'{text}' is not a date", "use an ISO 8601 date or time, e.g. 2027-01-31 or 2027-01-31T12:00:00Z");
                    }
                    if (h is not null) keys.Add(new ConsumerKeyDefinition(h, expires));
                    kr.Done();
                }
            }
            consumers.Add(new ConsumerDefinition(id.Value!, c.StringList("scopes"), keys, c.StringList("groups")));
            c.Done();
        }

        var ih = IdentityHeadersDefinition.Default;
        if (a.Node("identityHeaders") is { } ihNode)
        {
            var h = new MappingReader(ihNode, errors, "identity headers");
            ih = new IdentityHeadersDefinition(h.String("subject") ?? ih.Subject, h.String("scopes") ?? ih.Scopes, h.String("consumer") ?? ih.Consumer, h.String("method") ?? ih.Method,
                h.String("groups") ?? ih.Groups);
            h.Done();
        }
        var consumersFile = a.String("consumersFile") ?? AuthDefinition.DefaultConsumersFile;
        BasicDefinition? basic = null;
        if (a.Node("basic") is { } basicNode)
        {
            var b = new MappingReader(basicNode, errors, "Basic settings");
            basic = new BasicDefinition(b.String("realm") ?? "portico");
            b.Done();
        }
        SessionDefinition? session = null;
        if (a.Node("session") is { } sessionNode)
        {
            var s = new MappingReader(sessionNode, errors, "session settings");
            var loginNode = s.Node("login");
            var l = new MappingReader(loginNode, errors, "session login");
            if (loginNode is null) s.Missing("login", "the service that checks credentials, e.g. login: { service: users, path: /auth/verify }");
            var service = l.String("service", required: l.Exists, hint: "the service that checks credentials");
            var verify = l.String("path", required: l.Exists, hint: "the path it checks them at, e.g. /auth/verify");
            l.Done();
            var store = s.Enum("store", StoreKindNames);
            session = new SessionDefinition(s.String("cookie") ?? "portico_session", service ?? "", verify ?? "/", s.Duration("ttl") ?? TimeSpan.FromHours(8),
                s.Duration("idle") ?? TimeSpan.FromMinutes(30), s.Bool("secure") ?? true, s.String("loginPath") ?? "/auth/login", s.String("logoutPath") ?? "/auth/logout", store);
            s.Done();
            if (service is null || verify is null) session = null;
        }
        a.Done();
        return new AuthDefinition(apiKey, jwt, consumers, ih, consumersFile, basic, session);
    }

    static JwtDefinition? BindJwt(ConfigNode node, List<ConfigError> errors)
    {
        var j = new MappingReader(node, errors, "JWT settings");
        var issuer = j.String("issuer", required: true, hint: "the `iss` your identity provider puts in tokens, e.g. https://id.example");
        var audiencesNode = j.Node("audience");
        var audiences = j.StringList(audiencesNode);
        if (audiencesNode is null) j.Missing("audience", "the `aud` tokens must carry for this gateway, e.g. audience: portico");
        Uri? jwks = null;
        var keyFile = j.String("key");
        if (j.Exists && keyFile is not null && j.Has("jwks"))
            j.Error(node, "give either 'jwks' (a JWKS URL) or 'key' (a PEM public key file), not both", "jwks: https://id.example/.well-known/jwks.json");
        if (j.String("jwks", required: j.Exists && keyFile is null, hint: "the JWKS URL of your identity provider, e.g. https://id.example/.well-known/jwks.json (or key: a PEM public key file)") is { } jwksText)
        {
            if (Uri.TryCreate(jwksText, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp)) jwks = u;
            else j.Error(j.Node("jwks")!, $"'{jwksText}' is not an http(s) URL", "e.g. jwks: https://id.example/.well-known/jwks.json");
        }
        var algorithms = j.StringList("algorithms");
        var result = new JwtDefinition(issuer ?? "", audiences, jwks,
            algorithms.Count > 0 ? algorithms : JwtDefinition.DefaultAlgorithms,
            j.Duration("clockSkew", allowZero: true) ?? TimeSpan.FromSeconds(30),
            j.Duration("jwksRefresh") ?? TimeSpan.FromMinutes(10),
            j.Duration("jwksMinRefresh") ?? TimeSpan.FromSeconds(5),
            j.String("subjectClaim") ?? "sub",
            j.String("scopeClaim"),
            j.Size("maxTokenSize") is { } size ? (int)Math.Min(size, int.MaxValue) : 8 * 1024, keyFile);
        j.Done();
        return issuer is null || audiencesNode is null || (jwks is null && keyFile is null) ? null : result;
    }
}

using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Tests.Auth;

public sealed class JwtKeyFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-jwt-key-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void TryLoad_RsaAndEcPublicKeys_Load()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        JwtKeyFile.TryLoad(Write("rsa.pem", rsa.ExportSubjectPublicKeyInfoPem()), out var rsaKey, out _).ShouldBeTrue();
        JwtKeyFile.TryLoad(Write("ec.pem", ec.ExportSubjectPublicKeyInfoPem()), out var ecKey, out _).ShouldBeTrue();

        rsaKey.ShouldBeOfType<RsaSecurityKey>();
        ecKey.ShouldBeOfType<ECDsaSecurityKey>();
    }

    [Fact]
    public void TryLoad_PrivateKeyOrGarbageOrMissing_IsRefusedWithAReason()
    {
        using var rsa = RSA.Create(2048);

        JwtKeyFile.TryLoad(Write("private.pem", rsa.ExportPkcs8PrivateKeyPem()), out _, out var privateProblem).ShouldBeFalse();
        JwtKeyFile.TryLoad(Write("garbage.pem", "hello"), out _, out var garbageProblem).ShouldBeFalse();
        JwtKeyFile.TryLoad(Path.Combine(_dir, "none.pem"), out _, out var missingProblem).ShouldBeFalse();

        privateProblem.ShouldContain("private key");
        garbageProblem.ShouldContain("not a PEM public key");
        missingProblem.ShouldContain("cannot read");
    }

    [Fact]
    public void LoadFile_JwtKeyMissingOrBothKeyAndJwks_AreErrors()
    {
        var missing = ConfigLoader.LoadFile(Write("a.yaml", "auth:\n  jwt: { issuer: i, audience: a, key: nope.pem }\n"));
        var both = ConfigLoader.LoadFile(Write("b.yaml", "auth:\n  jwt: { issuer: i, audience: a, key: k.pem, jwks: https://id.example/jwks }\n"));

        missing.Errors.Single().Path.ShouldBe("auth.jwt.key");
        both.Errors.ShouldContain(e => e.Message.Contains("not both"));
    }
}

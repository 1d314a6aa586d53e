using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Portico.Configuration;

/// A static JWT signing key from a PEM file: an RSA or EC public key.
internal static class JwtKeyFile
{
    public static bool TryLoad(string path, [NotNullWhen(true)] out SecurityKey? key, [NotNullWhen(false)] out string? problem)
    {
        key = null;
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read '{path}': {ex.Message}";
            return false;
        }
        if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            // The gateway only verifies; a private key in its config is one more place to leak it from.
            problem = $"'{path}' holds a private key; give the public key only";
            return false;
        }
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            key = new RsaSecurityKey(rsa);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            try
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                key = new ECDsaSecurityKey(ec);
            }
            catch (Exception inner) when (inner is ArgumentException or CryptographicException)
            {
                problem = $"'{path}' is not a PEM public key (RSA or EC)";
                return false;
            }
        }
        problem = null;
        return true;
    }
}

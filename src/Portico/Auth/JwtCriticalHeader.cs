using System.Buffers.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Portico.Auth;

/// RFC 7515 §4.1.11: a `crit` header lists extensions the recipient must understand, or refuse the token. Neither
/// the gateway nor Microsoft.IdentityModel processes any JOSE extension, so a token whose header has `crit` in any
/// form (a name list, an empty list, a non-array, registered names like `alg`) is refused.
internal static class JwtCriticalHeader
{
    /// The token's header has `crit`, or cannot be read here (so no reader disagreement lets one through).
    public static bool Refuses(string token)
    {
        var dot = token.IndexOf('.');
        if (dot <= 0) return false; // no header segment: the token handler refuses it as malformed
        byte[] header;
        try
        {
            header = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
        }
        catch (FormatException)
        {
            return true;
        }
        try
        {
            var reader = new Utf8JsonReader(header);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return true;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("crit")) return true;
            }
            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    /// Why the token was refused, for the JwtBearer failure path (mapped to a fixed phrase, never logged as content).
    public sealed class RefusedException() : SecurityTokenValidationException("the token has a critical header parameter that is not processed");
}

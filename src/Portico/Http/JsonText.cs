using System.Text.Encodings.Web;
using System.Text.Json;

namespace Portico.Http;

/// How the gateway writes JSON of its own (answers it builds, bodies it converts): text from services stays as they
/// sent it — non-ASCII letters and characters such as ' or &lt; are written as themselves, not as \u escapes — while
/// quotes, backslashes and control characters are escaped as JSON requires (and, by the encoder's rule, characters
/// beyond the Basic Multilingual Plane such as emoji, as surrogate-pair escapes). The answers are served as JSON, never
/// embedded in HTML by the gateway.
internal static class JsonText
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

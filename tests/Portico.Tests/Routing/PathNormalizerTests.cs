using Portico.Configuration;
using Portico.Routing;

namespace Portico.Tests.Routing;

public sealed class PathNormalizerTests
{
    static readonly PathsDefinition Secure = PathsDefinition.Default;
    static readonly PathsDefinition Lenient = new(MergeSlashes: true, EscapedSlashes: EscapedSlashAction.Decode, Backslashes: BackslashAction.Decode,
        PathParameters: PathFormAction.Keep, TrailingDots: PathFormAction.Keep);
    static readonly PathsDefinition KeepSlashes = Secure with { EscapedSlashes = EscapedSlashAction.Keep };
    static readonly PathsDefinition NoMerge = Secure with { MergeSlashes = false };

    static string Normalize(string raw, PathsDefinition policy)
    {
        PathNormalizer.TryNormalize(raw, policy, out var path, out var problem).ShouldBeTrue($"refused: {problem}");
        return path;
    }

    static string Refusal(string raw, PathsDefinition policy)
    {
        PathNormalizer.TryNormalize(raw, policy, out var path, out var problem).ShouldBeFalse($"accepted as {path}");
        return problem!;
    }

    [Theory]
    [InlineData("/api/users/1", "/api/users/1")]
    [InlineData("/", "/")]
    [InlineData("//api/users/1", "/api/users/1")]
    [InlineData("///api/users/1", "/api/users/1")]
    [InlineData("/api//users/1", "/api/users/1")]
    [InlineData("/api/users//1", "/api/users/1")]
    [InlineData("/api/users/1/", "/api/users/1/")]
    [InlineData("/api/users/1//", "/api/users/1/")]
    [InlineData("/public/../api/users/1", "/api/users/1")]
    [InlineData("/public/./../api/users/1", "/api/users/1")]
    [InlineData("/public/%2E%2E/api/users/1", "/api/users/1")]
    [InlineData("/public/%2e%2e/api/users/1", "/api/users/1")]
    [InlineData("/public/.%2e/api/users/1", "/api/users/1")]
    [InlineData("/public/%2E/api/users/1", "/public/api/users/1")]
    [InlineData("/../../api/users/1", "/api/users/1")]
    [InlineData("/a//../api/users/1", "/api/users/1")]
    [InlineData("/api/users/..", "/api/")]
    [InlineData("/api/users/.", "/api/users/")]
    [InlineData("/a%20b/caf%C3%A9", "/a b/café")]
    [InlineData("/x/50%2541", "/x/50%41")]
    [InlineData("/x/%252e%252e/secret", "/x/%2e%2e/secret")]
    [InlineData("/files/report.v2.json", "/files/report.v2.json")]
    [InlineData("/api/users/a%3Fb", "/api/users/a?b")]
    public void TryNormalize_SecureDefaults_OnePathPerResource(string raw, string expected)
    {
        Normalize(raw, Secure).ShouldBe(expected);
    }

    [Theory]
    [InlineData("/api%2Fusers/1", "encoded slash")]
    [InlineData("/api%2fusers/1", "encoded slash")]
    [InlineData("/public/..%2Fapi/users/1", "encoded slash")]
    [InlineData("/api%5Cusers%5C1", "encoded backslash")]
    [InlineData("/api%5cusers/1", "encoded backslash")]
    [InlineData("/api\\users\\1", "backslash")]
    [InlineData("/api;x/users/1", "path parameter")]
    [InlineData("/api/users;x/1", "path parameter")]
    [InlineData("/api%3Bx/users/1", "path parameter")]
    [InlineData("/public/..;/api/users/1", "path parameter")]
    [InlineData("/api./users/1", "ending in '.'")]
    [InlineData("/api/users./1", "ending in '.'")]
    [InlineData("/api%2E/users/1", "ending in '.'")]
    [InlineData("/api/.../users", "ending in '.'")]
    [InlineData("/api/users/1%00", "control")]
    [InlineData("/api/users/1%0d%0a", "control")]
    [InlineData("/api/users/1%0A", "control")]
    [InlineData("/api/users/1%7F", "control")]
    [InlineData("/api/users/1%1b", "control")]
    [InlineData("/api/users/1\u0000", "control")]
    [InlineData("/api%252Fusers/1", "double-encoded")]
    [InlineData("/api%252fusers/1", "double-encoded")]
    [InlineData("/api%255Cusers/1", "double-encoded")]
    [InlineData("/api%25%32%46users/1", "double-encoded")]
    [InlineData("/api%25%32%66users/1", "double-encoded")]
    [InlineData("/api%252%46users/1", "double-encoded")]
    [InlineData("/api%EF%BC%8Fusers/1", "Unicode")]
    [InlineData("/api%EF%BC%BCusers/1", "Unicode")]
    [InlineData("/api/%EF%BC%8E%EF%BC%8E/x", "Unicode")]
    [InlineData("/api\uFF0Fusers/1", "Unicode")]
    [InlineData("/api/users/1%", "malformed")]
    [InlineData("/api/users/1%2", "malformed")]
    [InlineData("/api/users/%zz", "malformed")]
    [InlineData("/api/users/%u002F", "malformed")]
    [InlineData("/api/users/%FF", "not UTF-8")]
    [InlineData("/api/users/%C0%AF", "not UTF-8")]
    [InlineData("/api/users/%E0%80%AE", "not UTF-8")]
    public void TryNormalize_SecureDefaults_RefusesAmbiguousForms(string raw, string reason)
    {
        Refusal(raw, Secure).ShouldContain(reason);
    }

    [Theory]
    [InlineData("/api%2Fusers/1", "/api/users/1")]
    [InlineData("/public/..%2Fapi/users/1", "/api/users/1")]
    [InlineData("/api%5Cusers%5C1", "/api/users/1")]
    [InlineData("/api\\users\\1", "/api/users/1")]
    [InlineData("/public\\..\\api/users/1", "/api/users/1")]
    [InlineData("/api%2F%2Fusers/1", "/api/users/1")]
    [InlineData("/api;x/users/1", "/api;x/users/1")]
    [InlineData("/api./users/1", "/api./users/1")]
    public void TryNormalize_LenientSettings_DecodesThenMergesThenResolves(string raw, string expected)
    {
        Normalize(raw, Lenient).ShouldBe(expected);
    }

    [Theory]
    [InlineData("/api/users/1%00")]
    [InlineData("/api%252Fusers/1")]
    [InlineData("/api%EF%BC%8Fusers/1")]
    [InlineData("/api/users/%FF")]
    public void TryNormalize_LenientSettings_StillRefusesControlsDoubleEncodingAndLookalikes(string raw)
    {
        Refusal(raw, Lenient).ShouldNotBeNullOrEmpty();
    }

    [Theory]
    [InlineData("/files/a%2Fb", "/files/a%2Fb")]
    [InlineData("/files/a%2fb", "/files/a%2Fb")]
    [InlineData("/public/..%2Fapi/users/1", "/public/..%2Fapi/users/1")]
    public void TryNormalize_KeepEscapedSlashes_SlashStaysDataInOneSegment(string raw, string expected)
    {
        Normalize(raw, KeepSlashes).ShouldBe(expected);
    }

    [Theory]
    [InlineData("//api/users/1", "//api/users/1")]
    [InlineData("/api//users/1", "/api//users/1")]
    [InlineData("/a/./b/../c", "/a/c")]
    public void TryNormalize_MergeSlashesOff_KeepsEmptySegments(string raw, string expected)
    {
        Normalize(raw, NoMerge).ShouldBe(expected);
    }

    [Theory]
    [InlineData("/api/users/1", true)]
    [InlineData("/", true)]
    [InlineData("/a-b_c~d/x:y@z/!$&'()*+,=", true)]
    [InlineData("//api", false)]
    [InlineData("/api/users/1.json", false)]
    [InlineData("/api;x", false)]
    [InlineData("/api\\x", false)]
    [InlineData("/api%2Fx", false)]
    [InlineData("/api\u0000", false)]
    [InlineData("/café", false)]
    [InlineData("/a b", false)]
    public void IsPlain_Path_OnlyTrueWithoutSuspiciousCharacters(string path, bool plain)
    {
        PathNormalizer.IsPlain(path).ShouldBe(plain);
    }

    [Fact]
    public void TryNormalize_NormalizedPath_IsAFixedPoint()
    {
        foreach (var raw in new[] { "//api/users/1", "/public/%2E%2E/api/users/1", "/a%20b/../c//d/" })
        {
            var once = Normalize(raw, Secure);
            Normalize(once.Replace(" ", "%20", StringComparison.Ordinal), Secure).ShouldBe(once);
        }
    }
}

using Portico.Http;

namespace Portico.Tests.Proxy;

public sealed class HeaderValueTests
{
    [Theory]
    [InlineData("alice")]
    [InlineData("users:read users:write")]
    [InlineData("a\tb")]
    [InlineData("")]
    [InlineData("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")]
    public void IsSafe_VisibleAsciiSpaceAndTab_True(string value) => HeaderValue.IsSafe(value).ShouldBeTrue();

    [Theory]
    [InlineData("a\r\nX-User-Id: root", "a line break")]
    [InlineData("a\nb", "a line break")]
    [InlineData("a\rb", "a line break")]
    [InlineData("a\0b", "a NUL character")]
    [InlineData("a\x7f", "a control character")]
    [InlineData("\x01", "a control character")]
    [InlineData("\x1b[31m", "a control character")]
    [InlineData("jos\u00e9", "a non-ASCII character")]
    [InlineData("a\u2028b", "a non-ASCII character")]
    public void Flaw_ControlOrNonAscii_NamesItWithoutTheValue(string value, string flaw)
    {
        HeaderValue.IsSafe(value).ShouldBeFalse();
        HeaderValue.Flaw(value).ShouldBe(flaw);
    }

    [Theory]
    [InlineData("X-User-Id", true)]
    [InlineData("X_Legacy", true)]
    [InlineData("", false)]
    [InlineData("X User", false)]
    [InlineData("X:User", false)]
    [InlineData("X-Us\u00e9r", false)]
    public void IsToken_Rfc9110Tchars(string name, bool expected) => HeaderValue.IsToken(name).ShouldBe(expected);
}

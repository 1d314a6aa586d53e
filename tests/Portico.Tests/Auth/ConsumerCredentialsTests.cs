using Portico.Auth;
using Portico.Configuration;

namespace Portico.Tests.Auth;

public sealed class ConsumerCredentialsTests
{
    static readonly ConsumerDefinition Consumer = new("mobile-app", ["users:read"], [], ["partners"]);

    [Fact]
    public async Task Success_SameConsumerAndScheme_OneTicketReused_OtherSchemeItsOwn()
    {
        var first = ConsumerCredentials.Success(Consumer, AuthSchemes.ApiKey);
        var second = ConsumerCredentials.Success(Consumer, AuthSchemes.ApiKey);
        var basic = ConsumerCredentials.Success(Consumer, AuthSchemes.Basic);

        second.ShouldBeSameAs(first);
        basic.ShouldNotBeSameAs(first);
        (await basic).Ticket!.AuthenticationScheme.ShouldBe(AuthSchemes.Basic);
        (await first).Ticket!.AuthenticationScheme.ShouldBe(AuthSchemes.ApiKey);
    }

    [Fact]
    public async Task ToGatewayIdentity_ReusedTicket_MappedOnceWithGroupsAndScopes()
    {
        var principal = (await ConsumerCredentials.Success(Consumer, AuthSchemes.ApiKey)).Principal!;

        var first = AuthClaims.ToGatewayIdentity(principal, [AuthSchemes.ApiKey]);
        var second = AuthClaims.ToGatewayIdentity(principal, [AuthSchemes.ApiKey]);

        first.ShouldNotBeNull();
        second.ShouldBeSameAs(first);
        first.Subject.ShouldBe("mobile-app");
        first.Consumer.ShouldBe("mobile-app");
        first.Scopes.ShouldBe(["users:read"]);
        first.Groups.ShouldBe(["partners"]);
        AuthClaims.ToGatewayIdentity(principal, [AuthSchemes.Jwt]).ShouldBeNull();
    }
}

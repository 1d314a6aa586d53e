using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.Http;

namespace Portico.Tests.Hosting;

public sealed class ClientAddressTests
{
    static DefaultHttpContext Request(string peer, params string[] forwardedFor) => OnConnection(IPAddress.Parse(peer), forwardedFor);

    /// A request on a connection whose peer is this very address object (as the server gives every request of a connection).
    static DefaultHttpContext OnConnection(IPAddress peer, params string[] forwardedFor)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = peer;
        if (forwardedFor.Length > 0) context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        return context;
    }

    [Fact]
    public void Resolve_UntrustedPeer_IgnoresXForwardedFor()
    {
        var address = new ClientAddress(["10.0.0.0/8"]);

        address.Resolve(Request("203.0.113.9", "198.51.100.1")).ShouldBe("203.0.113.9");
    }

    [Fact]
    public void Resolve_TrustedPeer_TakesTheRightMostUntrustedEntry()
    {
        var address = new ClientAddress(["10.0.0.0/8"]);

        // The client claimed 1.1.1.1; 198.51.100.7 is who connected to our first proxy (10.1.1.1).
        address.Resolve(Request("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.1.1.1")).ShouldBe("198.51.100.7");
    }

    [Fact]
    public void Resolve_SeveralHeaderFields_AreOneListInOrder()
    {
        var address = new ClientAddress(["10.0.0.0/8"]);

        address.Resolve(Request("10.0.0.2", "1.1.1.1, 198.51.100.7", "10.1.1.1")).ShouldBe("198.51.100.7");
    }

    [Fact]
    public void Resolve_EveryHopTrusted_TakesTheLeftMost()
    {
        var address = new ClientAddress(["10.0.0.0/8"]);

        address.Resolve(Request("10.0.0.2", "10.9.9.9, 10.1.1.1")).ShouldBe("10.9.9.9");
    }

    [Fact]
    public void Resolve_SingleAddressAndMappedPeer_AreTrusted()
    {
        var address = new ClientAddress(["127.0.0.1"]);

        address.Resolve(Request("::ffff:127.0.0.1", "198.51.100.7")).ShouldBe("198.51.100.7");
    }

    [Fact]
    public void Key_UntrustedPeer_IsMadeOncePerConnectionAddress()
    {
        var address = new ClientAddress(["10.0.0.0/8"]);
        var peer = IPAddress.Parse("::ffff:203.0.113.9");
        var first = OnConnection(peer);
        var second = OnConnection(peer);

        var key = address.Key(first);

        key.ShouldBe("ip:203.0.113.9");
        address.Key(second).ShouldBeSameAs(key);
        // Another connection from the same client is another address object, with an equal key.
        address.Key(Request("203.0.113.9")).ShouldBe(key);
    }

    [Fact]
    public void Key_TrustedPeer_FollowsEachRequestsXForwardedFor()
    {
        var address = new ClientAddress(["10.0.0.0/8"]);
        var proxy = IPAddress.Parse("10.0.0.2");
        var first = OnConnection(proxy, "198.51.100.1");
        var second = OnConnection(proxy, "198.51.100.2");

        address.Key(first).ShouldBe("ip:198.51.100.1");
        address.Key(second).ShouldBe("ip:198.51.100.2");
    }

    [Fact]
    public void Key_SamePeerObject_AnotherInstanceJudgesTrustItself()
    {
        var context = OnConnection(IPAddress.Parse("10.0.0.2"), "198.51.100.1");

        // A reload that starts trusting the peer must not reuse the key made while it was not trusted.
        ClientAddress.NoTrustedProxies.Key(context).ShouldBe("ip:10.0.0.2");
        new ClientAddress(["10.0.0.0/8"]).Key(context).ShouldBe("ip:198.51.100.1");
    }
}

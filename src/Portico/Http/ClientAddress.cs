using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;

namespace Portico.Http;

/// The client's IP address: the connection's peer, or — when the peer is a trusted proxy — the right-most
/// X-Forwarded-For entry that is not itself a trusted proxy (entries further left are the client's own claims).
internal sealed class ClientAddress
{
    public static readonly ClientAddress NoTrustedProxies = new([]);

    readonly IPNetwork[] _trusted;

    public ClientAddress(IEnumerable<string> trustedProxies)
    {
        _trusted = [.. trustedProxies.Select(t => IPNetwork.TryParse(t, out var n) ? n : new IPNetwork(IPAddress.Parse(t), IPAddress.Parse(t).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))];
    }

    // "ip:<address>" per connection peer: the server hands every request of a connection the same address object,
    // so a keep-alive client's key is made once, and the entry goes with the connection. Per instance: which peers
    // are trusted is this instance's (a reload that trusts a peer makes a new one).
    readonly ConditionalWeakTable<IPAddress, string> _peerKeys = [];

    /// The client's address as a counter key part ("ip:" and <see cref="Resolve"/>); made once per connection when
    /// the peer is not a trusted proxy (the key then depends on nothing the request carries).
    public string Key(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null) return "ip:unknown";
        if (_peerKeys.TryGetValue(remote, out var key)) return key;
        var peer = Normalize(remote)!;
        if (IsTrusted(peer)) return "ip:" + Forwarded(context, peer);
        key = "ip:" + peer;
        _peerKeys.AddOrUpdate(remote, key);
        return key;
    }

    public string Resolve(HttpContext context)
    {
        var peer = Normalize(context.Connection.RemoteIpAddress);
        if (peer is null) return "unknown";
        return IsTrusted(peer) ? Forwarded(context, peer) : peer.ToString();
    }

    /// The client a trusted <paramref name="peer"/> forwarded for, from X-Forwarded-For.
    string Forwarded(HttpContext context, IPAddress peer)
    {
        var forwarded = context.Request.Headers["X-Forwarded-For"];
        string? leftmost = null;
        // Several X-Forwarded-For fields are one comma-separated list in order (RFC 9110 §5.3).
        for (var f = forwarded.Count - 1; f >= 0; f--)
        {
            var entries = (forwarded[f] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            for (var i = entries.Length - 1; i >= 0; i--)
            {
                if (!IPAddress.TryParse(entries[i], out var hop)) return entries[i];
                hop = Normalize(hop)!;
                if (!IsTrusted(hop)) return hop.ToString();
                leftmost = hop.ToString();
            }
        }
        return leftmost ?? peer.ToString();
    }

    /// True when the connection's peer is one of the trusted proxies (so its X-Forwarded-* headers may be kept).
    public bool IsTrustedPeer(HttpContext context) =>
        _trusted.Length > 0 && Normalize(context.Connection.RemoteIpAddress) is { } peer && IsTrusted(peer);

    bool IsTrusted(IPAddress address)
    {
        foreach (var network in _trusted)
        {
            if (network.Contains(address)) return true;
        }
        return false;
    }

    static IPAddress? Normalize(IPAddress? address) => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}

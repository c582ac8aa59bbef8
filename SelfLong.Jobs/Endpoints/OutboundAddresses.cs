using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace SelfLong.Jobs.Endpoints;

/// <summary>Which addresses a model URL entered by a user may name. Bound from <c>SelfLong:Outbound</c>.</summary>
public sealed class OutboundOptions
{
    public const string Section = "SelfLong:Outbound";

    /// <summary>
    /// Refuse link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254,
    /// 100.100.100.200, 168.63.129.16): a model server never lives there, but the credentials of
    /// the machine SelfLong runs on do.
    /// </summary>
    public bool DenyLinkLocalAndMetadata { get; set; } = true;
}

/// <summary>
/// How a model URL's host name becomes addresses: the system's DNS unless the host registers another
/// (tests give names of their own an address without touching the machine's resolver).
/// </summary>
public delegate Task<IPAddress[]> HostNameResolver(string host, CancellationToken ct);

/// <summary>
/// Checks a model URL's host, and the addresses its name resolves to, against <see cref="OutboundOptions"/>:
/// when the URL is entered (<see cref="ProblemAsync"/>), and again on every connection the model and
/// embedder HTTP clients open (<see cref="OutboundConnections"/>), since a name may resolve elsewhere later.
/// </summary>
public sealed class OutboundAddresses(IOptions<OutboundOptions> options, HostNameResolver? resolver = null)
{
    private readonly HostNameResolver resolve = resolver ?? Dns.GetHostAddressesAsync;

    public static readonly OutboundAddresses Default = new(Options.Create(new OutboundOptions()));

    private static readonly IPAddress[] MetadataServices =
    [
        IPAddress.Parse("fd00:ec2::254"),   // AWS instance metadata over IPv6
        IPAddress.Parse("100.100.100.200"), // Alibaba Cloud metadata
        IPAddress.Parse("168.63.129.16"),   // Azure WireServer
    ];

    /// <summary>Why the URL may not be used, or null. A name that does not resolve (yet) is not refused here.</summary>
    public async Task<string?> ProblemAsync(string url, CancellationToken ct = default)
    {
        if (!options.Value.DenyLinkLocalAndMetadata || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)) return null;
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(uri.IdnHost, ct);
        }
        catch (SocketException)
        {
            return null;
        }
        return Refusal(uri.Host, addresses);
    }

    /// <summary>The addresses a host stands for: itself when it is an address, else what its name resolves to (the entry check and every connection resolve here, so both see the same answer for a name).</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host, out var literal) ? [literal] : await resolve(host, ct);

    /// <summary>Why a host whose name gave these addresses may not be reached, or null (also when the check is off).</summary>
    public string? Refusal(string host, IReadOnlyList<IPAddress> addresses) =>
        options.Value.DenyLinkLocalAndMetadata && addresses.FirstOrDefault(IsDenied) is { } denied
            ? $"{host} is {(Equals(denied.ToString(), host.Trim('[', ']')) ? "" : $"at {denied}, ")}a link-local or cloud metadata address, which model URLs may not name ({OutboundOptions.Section}:DenyLinkLocalAndMetadata)."
            : null;

    public static bool IsDenied(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var bytes = address.GetAddressBytes();
            if (bytes[0] == 169 && bytes[1] == 254) return true;
        }
        else if (address.IsIPv6LinkLocal) return true;
        // Compared without an IPv6 scope id (fd00:ec2::254%2 is the same service).
        var plain = new IPAddress(address.GetAddressBytes());
        return MetadataServices.Any(m => m.Equals(plain));
    }
}

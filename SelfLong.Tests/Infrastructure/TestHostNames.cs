using System.Collections.Concurrent;
using System.Net;
using SelfLong.Jobs.Endpoints;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// Host names for tests, resolved by the suite app's model clients (its <see cref="HostNameResolver"/>)
/// without touching the machine's resolver or hosts file: a test gives a name of its own the addresses
/// it needs; every other name goes to DNS as in production.
/// </summary>
public sealed class TestHostNames
{
    private readonly ConcurrentDictionary<string, IPAddress[]> names = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A new name under .test (reserved by RFC 2606, never a real host) that resolves to <paramref name="addresses"/>.</summary>
    public string Add(params IPAddress[] addresses)
    {
        var name = $"h{Guid.NewGuid():N}.selflong.test";
        names[name] = addresses;
        return name;
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        names.TryGetValue(host, out var addresses) ? Task.FromResult(addresses) : Dns.GetHostAddressesAsync(host, ct);
}

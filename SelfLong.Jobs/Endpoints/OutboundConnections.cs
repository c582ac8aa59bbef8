using System.ClientModel.Primitives;
using System.Net;
using System.Net.Sockets;

namespace SelfLong.Jobs.Endpoints;

/// <summary>A connection refused because its address is link-local or a cloud metadata service (never worth a retry).</summary>
public sealed class OutboundAddressRefusedException(string message) : IOException(message);

/// <summary>
/// The HTTP handler under every model and embedder client. It resolves the host itself, refuses the
/// connection when any address is one <see cref="OutboundAddresses"/> denies, and connects to exactly the
/// addresses it checked: a name that passed when it was entered and resolves to 169.254.169.254 later
/// (DNS rebinding), or a URL stored before the check existed, still cannot reach the metadata service.
/// Loopback and private networks stay reachable, as local model servers live there.
/// </summary>
public sealed class OutboundConnections(OutboundAddresses addresses) : IDisposable
{
    private readonly Lazy<HttpClient> shared = new(() => new HttpClient(CreateHandler(addresses), disposeHandler: true)
    {
        // The model-call policy times each attempt out and the SDK's NetworkTimeout bounds the rest, not HttpClient's 100 s.
        Timeout = Timeout.InfiniteTimeSpan,
    });

    public static readonly OutboundConnections Default = new(OutboundAddresses.Default);

    /// <summary>The transport for OpenAI SDK clients (chat and embeddings): one checked connection pool for all of them.</summary>
    public HttpClientPipelineTransport Transport => new(shared.Value);

    /// <summary>A handler whose connections pass <paramref name="addresses"/>' check after the name is resolved.</summary>
    public static SocketsHttpHandler CreateHandler(OutboundAddresses addresses) => new()
    {
        ConnectCallback = (context, ct) => ConnectAsync(addresses, context.DnsEndPoint, ct),
        // Pooled connections are replaced now and then, so a changed name is resolved (and checked) again.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>Resolves, checks and connects to the checked addresses only (no second lookup to swap an address in).</summary>
    public static async ValueTask<Stream> ConnectAsync(OutboundAddresses addresses, DnsEndPoint endpoint, CancellationToken ct)
    {
        var resolved = await addresses.ResolveAsync(endpoint.Host, ct);
        if (addresses.Refusal(endpoint.Host, resolved) is { } refusal) throw new OutboundAddressRefusedException(refusal);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(resolved, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (shared.IsValueCreated) shared.Value.Dispose();
    }
}

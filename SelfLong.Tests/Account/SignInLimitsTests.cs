using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>Sign-in is limited per client address, and wrong passwords from one client lock nobody out.</summary>
[NeedsDatabase]
public sealed class SignInLimitsTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A client whose connections come from <paramref name="source"/> (any 127.x address reaches the app on 127.0.0.1).</summary>
    private HttpClient ClientFrom(string source) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    })
    { BaseAddress = app.BaseAddress };

    private static Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password) =>
        client.PostAsJsonAsync("/api/auth/signin", new { email, password }, Ct);

    [Fact]
    public async Task SignIn_OverTheLimitFromOneClient_429ForItOnly()
    {
        using var flooding = ClientFrom("127.0.0.21");
        var statuses = new List<HttpStatusCode>();
        // The suite allows 300 attempts a minute per client (SelfLong:RateLimits:SignInPermits).
        for (var i = 0; i < 301; i++)
            statuses.Add((await SignInAsync(flooding, $"nobody-{i}@selflong.test", "wrong password here")).StatusCode);
        var refused = await SignInAsync(flooding, AppFixture.AdminEmail, app.AdminPassword);
        using var other = ClientFrom("127.0.0.22");
        var elsewhere = await SignInAsync(other, AppFixture.AdminEmail, app.AdminPassword);

        Assert.All(statuses.Take(300), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[300]);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("Too many attempts", await refused.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.NoContent, elsewhere.StatusCode);
    }

    [Fact]
    public async Task SignIn_ManyWrongPasswordsForAdmin_AdminStillSignsIn()
    {
        using var attacker = ClientFrom("127.0.0.23");
        for (var i = 0; i < 15; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(attacker, AppFixture.AdminEmail, $"guess number {i}")).StatusCode);

        using var admin = ClientFrom("127.0.0.24");
        Assert.Equal(HttpStatusCode.NoContent, (await SignInAsync(admin, AppFixture.AdminEmail, app.AdminPassword)).StatusCode);
    }
}

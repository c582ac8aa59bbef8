using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.ModelCalls;

public sealed class ModelCallPolicyTests
{
    private static readonly ModelCallTarget A = new("a", "Endpoint 'a'", TimeSpan.FromSeconds(5));
    private static readonly ModelCallTarget B = new("b", "Endpoint 'b'", TimeSpan.FromSeconds(5));

    [Fact]
    public async Task Execute_RefusalIsNotRetried_TransientErrorsAre()
    {
        var ct = TestContext.Current.CancellationToken;
        var policy = TestModelCalls.Policy(attempts: 4);
        var calls = 0;

        var refused = await Assert.ThrowsAsync<ModelCallFailedException>(() => policy.ExecuteAsync<string>(A, _ =>
        {
            calls++;
            throw new HttpRequestException("401 Unauthorized", null, HttpStatusCode.Unauthorized);
        }, ct));
        Assert.Equal(1, calls);
        Assert.False(refused.EndpointDown);

        calls = 0;
        var answer = await policy.ExecuteAsync(A, _ => ++calls switch
        {
            1 => throw new HttpRequestException("connection refused"),
            2 => throw new HttpRequestException("busy", null, HttpStatusCode.TooManyRequests),
            3 => throw new InvalidDataException("half an answer"),
            _ => Task.FromResult("ok"),
        }, ct);
        Assert.Equal("ok", answer);
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task Execute_AttemptPastItsTimeout_IsRetried()
    {
        var ct = TestContext.Current.CancellationToken;
        var policy = TestModelCalls.Policy();
        var quick = A with { Key = "quick", AttemptTimeout = TimeSpan.FromMilliseconds(200) };
        var calls = 0;

        var answer = await policy.ExecuteAsync(quick, async token =>
        {
            if (++calls == 1) await Task.Delay(TimeSpan.FromSeconds(30), token);
            return "second";
        }, ct);

        Assert.Equal("second", answer);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Execute_EndpointDownPastTheLimit_FailsSayingSo()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = TestModelCalls.Options(attempts: 1000);
        options.DownLimit = TimeSpan.FromMilliseconds(600);
        var policy = new ModelCallPolicy(Microsoft.Extensions.Options.Options.Create(options), NullLogger<ModelCallPolicy>.Instance);
        var calls = 0;

        var error = await Assert.ThrowsAsync<ModelCallFailedException>(() => policy.ExecuteAsync<string>(A, _ =>
        {
            calls++;
            throw new HttpRequestException("connection refused");
        }, ct));

        Assert.True(error.EndpointDown);
        Assert.Contains("stayed unavailable", error.Message);
        Assert.Contains("Endpoint 'a'", error.Message);
        Assert.InRange(calls, 2, 999);
    }

    [Fact]
    public async Task Execute_OneEndpointsCircuitOpens_OthersStillCalled()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = TestModelCalls.Options(attempts: 1);
        options.BreakMinimumThroughput = 2;
        options.BreakFailureRatio = 0.5;
        options.BreakDuration = TimeSpan.FromSeconds(30);
        var policy = new ModelCallPolicy(Microsoft.Extensions.Options.Options.Create(options), NullLogger<ModelCallPolicy>.Instance);
        var calls = 0;
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<ModelCallFailedException>(() => policy.ExecuteAsync<string>(A, _ =>
            {
                calls++;
                throw new HttpRequestException("500", null, HttpStatusCode.InternalServerError);
            }, ct));
        }

        // A's circuit is open: the call is refused without reaching the server.
        var paused = await Assert.ThrowsAsync<ModelCallFailedException>(() => policy.ExecuteAsync(A, _ => { calls++; return Task.FromResult("x"); }, ct));
        Assert.Contains("calls paused", paused.Message);
        Assert.Equal(2, calls);
        Assert.Equal("b", await policy.ExecuteAsync(B, _ => Task.FromResult("b"), ct));
    }

    [Fact]
    public async Task Execute_CallerCancels_StopsWithoutRetrying()
    {
        using var cancel = new CancellationTokenSource();
        var policy = TestModelCalls.Policy();
        var calls = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => policy.ExecuteAsync<string>(A, async token =>
        {
            calls++;
            await cancel.CancelAsync();
            token.ThrowIfCancellationRequested();
            return "never";
        }, cancel.Token));

        Assert.Equal(1, calls);
    }
}

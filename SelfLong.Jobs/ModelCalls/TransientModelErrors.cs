using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace SelfLong.Jobs.ModelCalls;

/// <summary>
/// Which failures of a model server are worth another attempt: lost or refused connections,
/// timeouts, rate limits (429), server errors (5xx), 408 and malformed answers. Client errors
/// such as a wrong key (401) or a bad request (400) fail the same way again, so they are not.
/// </summary>
public static class TransientModelErrors
{
    /// <summary>Where a raw HTTP caller puts a response's Retry-After (see <see cref="ForStatus"/>).</summary>
    private const string RetryAfterKey = "SelfLong.RetryAfter";

    public static bool IsTransient(Exception e, CancellationToken caller) => e switch
    {
        _ when caller.IsCancellationRequested => false,
        ModelCallFailedException => false,
        // A refused address is refused again on every attempt (the HTTP stack wraps it: look inside).
        _ when Refused(e) => false,
        TimeoutRejectedException or BrokenCircuitException => true,
        ClientResultException c => c.Status is 0 or 408 or 429 or >= 500,
        HttpRequestException { StatusCode: { } status } => IsTransientStatus(status),
        HttpRequestException or IOException => true,
        // The SDK's own network timeout, not the caller's token.
        OperationCanceledException => true,
        InvalidDataException or JsonException => true,
        _ => false,
    };

    private static bool Refused(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is Endpoints.OutboundAddressRefusedException) return true;
        return false;
    }

    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The error a raw HTTP call throws for a failed status, carrying the server's Retry-After; <paramref name="advice"/> follows the status.</summary>
    public static HttpRequestException ForStatus(HttpResponseMessage response, string what, string? advice = null)
    {
        var status = $"{what} answered {(int)response.StatusCode} {response.ReasonPhrase}";
        var error = new HttpRequestException(advice is null ? $"{status}." : $"{status}; {advice}.", null, response.StatusCode);
        if (Delay(response.Headers.RetryAfter) is { } delay) error.Data[RetryAfterKey] = delay;
        return error;
    }

    /// <summary>The wait the server asked for (Retry-After), capped; null to use the backoff.</summary>
    public static TimeSpan? RetryAfter(Exception? e, TimeSpan cap)
    {
        TimeSpan? asked = e switch
        {
            HttpRequestException h when h.Data[RetryAfterKey] is TimeSpan t => t,
            ClientResultException c when c.GetRawResponse()?.Headers.TryGetValue("Retry-After", out var v) == true => Parse(v),
            BrokenCircuitException b => b.RetryAfter,
            _ => null,
        };
        return asked is { } wait ? TimeSpan.FromTicks(Math.Clamp(wait.Ticks, 0, cap.Ticks)) : null;
    }

    /// <summary>A short description for logs and run messages: status and message, never headers.</summary>
    public static string Describe(Exception? e) => e switch
    {
        null => "no error",
        TimeoutRejectedException t => $"no answer within {t.Timeout.TotalSeconds:0.#} s",
        BrokenCircuitException => "the endpoint kept failing, calls paused",
        ClientResultException c => $"HTTP {c.Status}: {c.Message}",
        _ => e.Message,
    };

    private static TimeSpan? Parse(string? value) =>
        RetryConditionHeaderValue.TryParse(value, out var parsed) ? Delay(parsed) : null;

    private static TimeSpan? Delay(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };
}

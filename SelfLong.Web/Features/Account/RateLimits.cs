using System.ComponentModel.DataAnnotations;
using SelfLong.Jobs.Hosting;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace SelfLong.Web.Features.Account;

/// <summary>How often one client may try to sign in, and one user upload. Bound from <c>SelfLong:RateLimits</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "SelfLong:RateLimits";

    /// <summary>Sign-in attempts per client address per <see cref="SignInWindow"/>.</summary>
    [Range(1, 1_000_000)]
    public int SignInPermits { get; set; } = 10;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Upload requests per user per <see cref="UploadWindow"/>.</summary>
    [Range(1, 1_000_000)]
    public int UploadPermits { get; set; } = 30;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UploadWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// ASP.NET Core's rate limiter on sign-in (per client address) and uploads (per user). Failed
/// sign-ins are slowed per client instead of locking the account, so nobody can lock another
/// user out by guessing wrong on purpose. Behind a reverse proxy the client address is the
/// proxy's unless forwarded headers are configured (README, "Deployment").
/// </summary>
public static class RateLimits
{
    public const string SignIn = "sign-in";
    public const string Upload = "upload";

    public static IServiceCollection AddSelfLongRateLimits(this IServiceCollection services)
    {
        services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section);
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, ct) =>
            {
                var wait = "a minute";
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
                    context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    wait = seconds == 1 ? "1 second" : $"{seconds} seconds";
                }
                // Uploads are counted per account, sign-ins per client address: the message says which.
                var upload = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == Upload;
                context.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                await context.HttpContext.Response.WriteAsync(upload
                    ? $"Too many uploads from this account; wait {wait} and try again."
                    : "Too many attempts from this client; wait a minute and try again.", ct);
            };
            limiter.AddPolicy(SignIn, context =>
            {
                // Showing the sign-in page is free; posting it (or the API's sign-in) counts.
                if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                    return RateLimitPartition.GetNoLimiter("page");
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                // A fixed window, because its refusals carry Retry-After.
                return RateLimitPartition.GetFixedWindowLimiter(ClientAddress(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.SignInPermits, Window = options.SignInWindow, QueueLimit = 0,
                });
            });
            limiter.AddPolicy(Upload, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(context.User.Identity?.Name ?? ClientAddress(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.UploadPermits, Window = options.UploadWindow, QueueLimit = 0,
                });
            });
        });
        return services;
    }

    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}

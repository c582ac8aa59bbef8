using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Identity;

namespace SelfLong.Jobs.Accounts;

/// <summary>A token as its owner's list shows it: never the token itself.</summary>
public sealed record ApiTokenSummary(long Id, string Name, string Prefix, ApiTokenScope Scope,
    DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    public bool Active(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>A token just created: <see cref="Secret"/> is shown once and stored nowhere.</summary>
public sealed record NewApiToken(ApiTokenSummary Token, string Secret);

/// <summary>
/// Personal API tokens: created and revoked by their owner, looked up by the hash of what a
/// client sends. A token acts with its owner's current role (read scope: as a Viewer), so a
/// changed role or a disabled account applies to its tokens at once.
/// </summary>
public sealed class ApiTokens(IDbContextFactory<SelfLongDbContext> dbFactory)
{
    public const string SecretPrefix = "slt_";
    public const int MaxLifetimeDays = 366;

    /// <summary>How often a token's last use is written (and audited): once per this, not once per request.</summary>
    private static readonly TimeSpan UseGranularity = TimeSpan.FromMinutes(5);

    public async Task<(NewApiToken? Token, IReadOnlyList<string> Errors)> CreateAsync(string userId, string name, ApiTokenScope scope, int? lifetimeDays, CancellationToken ct = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100) return (null, ["Give the token a name of 1 to 100 characters, to tell it apart later."]);
        if (lifetimeDays is < 1 or > MaxLifetimeDays) return (null, [$"A token lives 1 to {MaxLifetimeDays} days."]);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Users.AnyAsync(u => u.Id == userId, ct)) return (null, ["There is no such user."]);

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = DateTimeOffset.UtcNow;
        var token = new ApiToken
        {
            UserId = userId, Name = name, Scope = scope, Hash = HashOf(secret), Prefix = secret[..(SecretPrefix.Length + 6)],
            CreatedAt = now, ExpiresAt = lifetimeDays is { } days ? now.AddDays(days) : null,
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        await db.RecordAsync(AuditTrail.Created, "api token", token.Id, $"{name} ({scope})", ct);
        return (new NewApiToken(Summary(token), secret), []);
    }

    public async Task<IReadOnlyList<ApiTokenSummary>> ListAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tokens = await db.ApiTokens.Where(t => t.UserId == userId).OrderByDescending(t => t.CreatedAt).ToListAsync(ct);
        return [.. tokens.Select(Summary)];
    }

    /// <summary>Revokes one of the user's own tokens; false when the user has no such token.</summary>
    public async Task<bool> RevokeAsync(string userId, long tokenId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (token is null) return false;
        if (token.RevokedAt is not null) return true;
        token.RevokedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(ct);
        await db.RecordAsync(AuditTrail.Deleted, "api token", token.Id, $"{token.Name} revoked", ct);
        return true;
    }

    /// <summary>The token a client sent, if it is known, not revoked and not expired; notes its use.</summary>
    public async Task<ApiToken?> FindActiveAsync(string? secret, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return null;
        var hash = HashOf(secret);
        var now = DateTimeOffset.UtcNow;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Hash == hash, ct);
        if (token is null || token.RevokedAt is not null || token.ExpiresAt <= now) return null;
        if (token.LastUsedAt is not { } last || now - last >= UseGranularity)
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
            var owner = await db.Users.Where(u => u.Id == token.UserId).Select(u => u.Email).SingleOrDefaultAsync(ct) ?? token.UserId;
            using (AuditActor.Use(new AuditActor(owner, AuditActor.Token)))
                await db.RecordAsync(AuditTrail.TokenUsed, "api token", token.Id, token.Name, ct);
        }
        return token;
    }

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ApiTokenSummary Summary(ApiToken t) => new(t.Id, t.Name, t.Prefix, t.Scope, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt);
}

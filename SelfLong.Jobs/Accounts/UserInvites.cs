using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Identity;

namespace SelfLong.Jobs.Accounts;

/// <summary>An invite just made: <see cref="Token"/> goes into the link shown once to the admin and is stored only hashed.</summary>
public sealed record NewInvite(string UserId, string Email, string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Invites by email: an admin creates a pending account (a role, no password) and gets a one-time
/// link that expires; the invitee opens it and sets their own password. There is no mail server,
/// so the admin hands the link on. The link's secret is kept as a SHA-256 hash in Identity's
/// user-token table, with its expiry; accepting removes it, so a link works once.
/// </summary>
public sealed class UserInvites(UserManager<SelfLongUser> users, UserAdministration administration,
    IDbContextFactory<SelfLongDbContext> dbFactory, TimeProvider? time = null)
{
    public const string LoginProvider = "SelfLong";
    public const string TokenName = "invite";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public const string NotValid = "This invite link is not valid: it was used already, or a newer invite replaced it. Ask an admin for a new link.";

    private DateTimeOffset Now => (time ?? TimeProvider.System).GetUtcNow();

    /// <summary>
    /// A pending account for <paramref name="email"/> with <paramref name="role"/>, or a new link for one
    /// still pending (the old link stops working); refused for an account that has a password.
    /// </summary>
    public async Task<(NewInvite? Invite, IReadOnlyList<string> Errors)> InviteAsync(string email, string role)
    {
        email = email.Trim();
        if (!Roles.All.Contains(role)) return (null, [$"Choose a role: {string.Join(", ", Roles.All)}."]);
        if (email.Length == 0 || !email.Contains('@')) return (null, [$"'{email}' is not an email address."]);
        var user = await users.FindByEmailAsync(email);
        if (user is not null && await users.HasPasswordAsync(user)) return (null, [$"A user {email} already exists."]);
        if (user is null)
        {
            await administration.EnsureRolesAsync();
            user = new SelfLongUser { UserName = email, Email = email, EmailConfirmed = true };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded) return (null, [.. created.Errors.Select(e => e.Description)]);
            var added = await users.AddToRoleAsync(user, role);
            if (!added.Succeeded) return (null, [.. added.Errors.Select(e => e.Description)]);
        }
        var token = ApiTokens.Base64Url(RandomNumberGenerator.GetBytes(32));
        var expires = Now + Lifetime;
        await users.SetAuthenticationTokenAsync(user, LoginProvider, TokenName, Stored(token, expires));
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.RecordAsync(AuditTrail.Invited, "user", user.Id, $"{email} as {(await users.GetRolesAsync(user)).FirstOrDefault()}, link expires {expires:yyyy-MM-dd HH:mm} UTC");
        return (new NewInvite(user.Id, email, token, expires), []);
    }

    /// <summary>The invitee's email for a link that still works, or why it does not.</summary>
    public async Task<(string? Email, string? Error)> CheckAsync(string? token)
    {
        var (user, error) = await FindAsync(token);
        return (user?.Email, error);
    }

    /// <summary>Sets the invitee's password and ends the link; the password rules apply (the link stays usable until one passes).</summary>
    public async Task<(string? Email, IReadOnlyList<string> Errors)> AcceptAsync(string? token, string password)
    {
        var (user, error) = await FindAsync(token);
        if (user is null) return (null, [error!]);
        var set = await users.AddPasswordAsync(user, password);
        if (!set.Succeeded) return (null, [.. set.Errors.Select(e => e.Description)]);
        await users.RemoveAuthenticationTokenAsync(user, LoginProvider, TokenName);
        await using var db = await dbFactory.CreateDbContextAsync();
        using (AuditActor.Use(new AuditActor(user.Email ?? user.Id, AuditActor.Page)))
            await db.RecordAsync(AuditTrail.InviteAccepted, "user", user.Id, $"{user.Email} set a password");
        return (user.Email, []);
    }

    private async Task<(SelfLongUser? User, string? Error)> FindAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token)) return (null, NotValid);
        var prefix = ApiTokens.HashOf(token.Trim()) + "|";
        await using var db = await dbFactory.CreateDbContextAsync();
        var row = await db.UserTokens.AsNoTracking()
            .SingleOrDefaultAsync(t => t.LoginProvider == LoginProvider && t.Name == TokenName && t.Value!.StartsWith(prefix));
        if (row is null || await users.FindByIdAsync(row.UserId) is not { } user || await users.HasPasswordAsync(user)) return (null, NotValid);
        var expires = DateTimeOffset.FromUnixTimeSeconds(long.Parse(row.Value![prefix.Length..], CultureInfo.InvariantCulture));
        if (expires <= Now)
            return (null, $"This invite link expired on {expires:yyyy-MM-dd HH:mm} UTC. Ask an admin for a new link.");
        return (user, null);
    }

    /// <summary>What is stored: the secret's hash and the expiry (Unix seconds), never the secret.</summary>
    private static string Stored(string token, DateTimeOffset expires) =>
        $"{ApiTokens.HashOf(token)}|{expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
}

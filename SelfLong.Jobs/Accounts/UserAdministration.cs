using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Identity;

namespace SelfLong.Jobs.Accounts;

/// <summary>An account as the users page lists it; <see cref="Invited"/>: invited and no password set yet (UserInvites).</summary>
public sealed record UserSummary(string Id, string Email, string Role, bool Disabled, bool Invited = false);

/// <summary>
/// What an admin does to accounts: create, change role, disable or enable, reset the password.
/// Disabling is Identity's lockout with no end (wrong passwords never lock an account). The last
/// enabled admin can be neither demoted nor disabled, so the installation always has one.
/// </summary>
public sealed class UserAdministration(UserManager<SelfLongUser> users, RoleManager<IdentityRole> roles, IDbContextFactory<SelfLongDbContext> dbFactory)
{
    public const string LastAdmin = "This is the last enabled admin; make another user admin first.";

    /// <summary>The roles exist, and accounts from before roles (which could do everything) become admins.</summary>
    public async Task EnsureRolesAsync()
    {
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));
        foreach (var user in await users.Users.ToListAsync())
            if ((await users.GetRolesAsync(user)).Count == 0) await users.AddToRoleAsync(user, Roles.Admin);
    }

    public async Task<IReadOnlyList<UserSummary>> ListAsync()
    {
        var list = new List<UserSummary>();
        foreach (var user in await users.Users.OrderBy(u => u.Email).ToListAsync())
            list.Add(await SummaryAsync(user));
        return list;
    }

    public async Task<IReadOnlyList<string>> CreateAsync(string email, string password, string role)
    {
        if (!Roles.All.Contains(role)) return [$"Choose a role: {string.Join(", ", Roles.All)}."];
        if (string.IsNullOrWhiteSpace(email) || !email.Contains('@')) return [$"'{email}' is not an email address."];
        if (await users.FindByEmailAsync(email.Trim()) is not null) return [$"A user {email.Trim()} already exists."];
        await EnsureRolesAsync();
        var user = new SelfLongUser { UserName = email.Trim(), Email = email.Trim(), EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded) return [.. created.Errors.Select(e => e.Description)];
        return await AuditedAsync(await users.AddToRoleAsync(user, role), AuditTrail.Created, user, $"{user.Email} as {role}");
    }

    public async Task<IReadOnlyList<string>> SetRoleAsync(string userId, string role)
    {
        if (!Roles.All.Contains(role)) return [$"Choose a role: {string.Join(", ", Roles.All)}."];
        if (await users.FindByIdAsync(userId) is not { } user) return ["There is no such user."];
        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && role != Roles.Admin && await IsLastEnabledAdminAsync(user)) return [LastAdmin];
        var removed = await users.RemoveFromRolesAsync(user, current);
        if (!removed.Succeeded) return Errors(removed);
        var added = await users.AddToRoleAsync(user, role);
        // A new stamp signs the user's open sessions out, so the old role does not linger in a cookie.
        if (!added.Succeeded) return Errors(added);
        return await AuditedAsync(await users.UpdateSecurityStampAsync(user), AuditTrail.Changed, user, $"{user.Email}: role {string.Join(", ", current)} → {role}");
    }

    public async Task<IReadOnlyList<string>> SetDisabledAsync(string userId, bool disabled)
    {
        if (await users.FindByIdAsync(userId) is not { } user) return ["There is no such user."];
        if (disabled && await users.IsInRoleAsync(user, Roles.Admin) && await IsLastEnabledAdminAsync(user)) return [LastAdmin];
        await users.SetLockoutEnabledAsync(user, true);
        var result = await users.SetLockoutEndDateAsync(user, disabled ? DateTimeOffset.MaxValue : null);
        if (!result.Succeeded) return Errors(result);
        return await AuditedAsync(await users.UpdateSecurityStampAsync(user), AuditTrail.Changed, user, $"{user.Email}: {(disabled ? "disabled" : "enabled")}");
    }

    public async Task<IReadOnlyList<string>> ResetPasswordAsync(string userId, string newPassword)
    {
        if (await users.FindByIdAsync(userId) is not { } user) return ["There is no such user."];
        var token = await users.GeneratePasswordResetTokenAsync(user);
        return await AuditedAsync(await users.ResetPasswordAsync(user, token, newPassword), AuditTrail.Changed, user, $"{user.Email}: password reset");
    }

    private async Task<bool> IsLastEnabledAdminAsync(SelfLongUser user)
    {
        var admins = await users.GetUsersInRoleAsync(Roles.Admin);
        return !admins.Any(a => a.Id != user.Id && !IsDisabled(a));
    }

    private async Task<UserSummary> SummaryAsync(SelfLongUser user) =>
        new(user.Id, user.Email ?? user.UserName ?? "", (await users.GetRolesAsync(user)).FirstOrDefault() ?? "", IsDisabled(user),
            user.PasswordHash is null);

    private static bool IsDisabled(SelfLongUser user) => user.LockoutEnd is { } end && end > DateTimeOffset.UtcNow;

    /// <summary>The errors of the action's last step, or none and an audit entry for the action.</summary>
    private async Task<IReadOnlyList<string>> AuditedAsync(IdentityResult result, string action, SelfLongUser user, string detail)
    {
        if (!result.Succeeded) return Errors(result);
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.RecordAsync(action, "user", user.Id, detail);
        return [];
    }

    private static IReadOnlyList<string> Errors(IdentityResult result) => [.. result.Errors.Select(e => e.Description)];
}

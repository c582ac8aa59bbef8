using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Identity;

namespace SelfLong.Jobs.Accounts;

/// <summary>An account as the users page lists it.</summary>
public sealed record UserSummary(string Id, string Email, string Role, bool Disabled);

/// <summary>
/// What an admin does to accounts: create, change role, disable or enable, reset the password.
/// Disabling is Identity's lockout with no end (wrong passwords never lock an account). The last
/// enabled admin can be neither demoted nor disabled, so the installation always has one.
/// </summary>
public sealed class UserAdministration(UserManager<SelfLongUser> users, RoleManager<IdentityRole> roles)
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
        return Errors(await users.AddToRoleAsync(user, role));
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
        return added.Succeeded ? Errors(await users.UpdateSecurityStampAsync(user)) : Errors(added);
    }

    public async Task<IReadOnlyList<string>> SetDisabledAsync(string userId, bool disabled)
    {
        if (await users.FindByIdAsync(userId) is not { } user) return ["There is no such user."];
        if (disabled && await users.IsInRoleAsync(user, Roles.Admin) && await IsLastEnabledAdminAsync(user)) return [LastAdmin];
        await users.SetLockoutEnabledAsync(user, true);
        var result = await users.SetLockoutEndDateAsync(user, disabled ? DateTimeOffset.MaxValue : null);
        return result.Succeeded ? Errors(await users.UpdateSecurityStampAsync(user)) : Errors(result);
    }

    public async Task<IReadOnlyList<string>> ResetPasswordAsync(string userId, string newPassword)
    {
        if (await users.FindByIdAsync(userId) is not { } user) return ["There is no such user."];
        var token = await users.GeneratePasswordResetTokenAsync(user);
        return Errors(await users.ResetPasswordAsync(user, token, newPassword));
    }

    private async Task<bool> IsLastEnabledAdminAsync(SelfLongUser user)
    {
        var admins = await users.GetUsersInRoleAsync(Roles.Admin);
        return !admins.Any(a => a.Id != user.Id && !IsDisabled(a));
    }

    private async Task<UserSummary> SummaryAsync(SelfLongUser user) =>
        new(user.Id, user.Email ?? user.UserName ?? "", (await users.GetRolesAsync(user)).FirstOrDefault() ?? "", IsDisabled(user));

    private static bool IsDisabled(SelfLongUser user) => user.LockoutEnd is { } end && end > DateTimeOffset.UtcNow;

    private static IReadOnlyList<string> Errors(IdentityResult result) => [.. result.Errors.Select(e => e.Description)];
}

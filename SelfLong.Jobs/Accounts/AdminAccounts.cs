using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Identity;

namespace SelfLong.Jobs.Accounts;

/// <summary>Creates administrators (role Admin); there is no built-in account or password.</summary>
public sealed class AdminAccounts(UserManager<SelfLongUser> users, UserAdministration administration)
{
    public sealed record Outcome(bool Created, IReadOnlyList<string> Errors);

    public async Task<Outcome> CreateAsync(string email, string password)
    {
        if (string.IsNullOrWhiteSpace(email) || !email.Contains('@'))
            return new Outcome(false, [$"'{email}' is not an email address."]);
        if (await users.FindByEmailAsync(email) is not null)
            return new Outcome(false, [$"A user {email} already exists."]);

        var errors = await administration.CreateAsync(email, password, Roles.Admin);
        return new Outcome(errors.Count == 0, errors);
    }

    public Task<bool> AnyAsync() => users.Users.AnyAsync();
}

public static class AccountExtensions
{
    /// <summary>Password rules shared by the web app and the command line.</summary>
    /// <summary>The one password rule the README states: at least this many characters.</summary>
    public const int MinPasswordLength = 10;

    /// <summary>
    /// Password rules shared by the web app and the command line: a length, and no common password
    /// (<see cref="CommonPasswordValidator"/>); no composition rules, as NIST SP 800-63B advises.
    /// </summary>
    public static void ConfigureSelfLongIdentity(IdentityOptions options)
    {
        options.Password.RequiredLength = MinPasswordLength;
        options.Password.RequireNonAlphanumeric = false;
        options.Password.RequireDigit = false;
        options.Password.RequireUppercase = false;
        options.Password.RequireLowercase = false;
        options.Password.RequiredUniqueChars = 1;
        options.User.RequireUniqueEmail = true;
    }

    /// <summary>Identity stores for processes without cookies (the worker and CLI).</summary>
    public static IServiceCollection AddSelfLongIdentityCore(this IServiceCollection services)
    {
        services.AddIdentityCore<SelfLongUser>(ConfigureSelfLongIdentity)
            .AddRoles<IdentityRole>()
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddEntityFrameworkStores<SelfLongDbContext>()
            .AddDefaultTokenProviders();
        services.AddScoped<AdminAccounts>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<UserInvites>();
        services.AddSingleton<ApiTokens>();
        return services;
    }
}

using SelfLong.Jobs.Accounts;

namespace SelfLong.Web.Features.Account;

/// <summary>
/// On start: creates the administrator named in configuration (SelfLong:Admin) when there is no
/// user yet, or says how to create one. There is never a built-in password.
/// </summary>
public sealed class FirstAdministrator(IServiceProvider services, IConfiguration configuration, AdministratorSetup setup, ILogger<FirstAdministrator> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AdminAccounts>();
        await scope.ServiceProvider.GetRequiredService<UserAdministration>().EnsureRolesAsync();
        if (await accounts.AnyAsync()) return;

        var email = configuration["SelfLong:Admin:Email"];
        var password = configuration["SelfLong:Admin:Password"];
        if (!string.IsNullOrWhiteSpace(email) && !string.IsNullOrEmpty(password))
        {
            var outcome = await accounts.CreateAsync(email, password);
            if (outcome.Created)
                logger.LogWarning("Created administrator {Email} from configuration (SelfLong:Admin).", email);
            else
            {
                setup.Problem = $"The administrator {email} set in SelfLong:Admin could not be created: {string.Join(" ", outcome.Errors)} " +
                    "Change SelfLong__Admin__Password and restart, or run `./selflong admin create --email you@example.com`.";
                logger.LogError("{Problem}", setup.Problem);
            }
            return;
        }
        logger.LogWarning(
            "No user can sign in yet. Create the first administrator with `./selflong admin create --email you@example.com`, " +
            "or set SelfLong__Admin__Email and SelfLong__Admin__Password before starting.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace SelfLong.Web.Features.Account;

/// <summary>
/// Why the administrator named in SelfLong:Admin could not be created at start-up, if it could
/// not: the sign-in page shows it, so "no account exists" is not all a user sees.
/// </summary>
public sealed class AdministratorSetup
{
    public string? Problem { get; set; }
}

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Identity;

namespace SelfLong.Web.Features.Account;

/// <summary>Password sign-in for the sign-in page and the API, recorded in the audit log either way.</summary>
public sealed class AuditedSignIn(SignInManager<SelfLongUser> signIn, IDbContextFactory<SelfLongDbContext> dbFactory)
{
    public async Task<SignInResult> PasswordSignInAsync(string email, string password, string via)
    {
        // Failed attempts never lock the account (rate limits slow the client instead): see RateLimits.
        var result = await signIn.PasswordSignInAsync(email, password, isPersistent: false, lockoutOnFailure: false);
        await using var db = await dbFactory.CreateDbContextAsync();
        using (AuditActor.Use(new AuditActor(email.Trim(), via)))
            await db.RecordAsync(result.Succeeded ? AuditTrail.SignedIn : AuditTrail.SignInFailed, "user", null,
                result.Succeeded ? null : result.IsLockedOut ? "account disabled" : "wrong email or password");
        return result;
    }
}

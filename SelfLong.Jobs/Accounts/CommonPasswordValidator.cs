using Microsoft.AspNetCore.Identity;
using SelfLong.Data.Identity;

namespace SelfLong.Jobs.Accounts;

/// <summary>
/// Refuses passwords that are common or close to one (NIST SP 800-63B, 3.1.1.2: check against
/// lists of commonly used or compromised passwords, and impose no composition rules). zxcvbn's
/// dictionaries (common passwords, names, words) and patterns (keyboard walks, repeats, dates,
/// l33t) estimate how quickly such a password is guessed; below score 2 (about 10^6 guesses,
/// what an online attack tries) it is refused.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<SelfLongUser>
{
    public const int MinimumScore = 2;

    public Task<IdentityResult> ValidateAsync(UserManager<SelfLongUser> manager, SelfLongUser user, string? password)
    {
        if (string.IsNullOrEmpty(password)) return Task.FromResult(IdentityResult.Success);
        // The account's own email and name count as guessable words too.
        var result = Zxcvbn.Zxcvbn.MatchPassword(password, [user.Email ?? "", user.UserName ?? ""]);
        return Task.FromResult(result.Score >= MinimumScore
            ? IdentityResult.Success
            : IdentityResult.Failed(new IdentityError
            {
                Code = "CommonPassword",
                Description = "This password is common or close to a common one (a word, name, keyboard pattern or repeat); choose a longer phrase of your own.",
            }));
    }
}

using System.ComponentModel.DataAnnotations;

namespace SelfLong.Web.Features.Account;

public sealed class SignInInput
{
    [Required, EmailAddress] public string Email { get; set; } = "";
    [Required] public string Password { get; set; } = "";
}

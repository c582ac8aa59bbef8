using Microsoft.AspNetCore.Identity;

namespace SelfLong.Data.Identity;

/// <summary>A person who signs in to the dashboard.</summary>
public sealed class SelfLongUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

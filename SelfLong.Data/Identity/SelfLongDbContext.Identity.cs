using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Identity;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
}

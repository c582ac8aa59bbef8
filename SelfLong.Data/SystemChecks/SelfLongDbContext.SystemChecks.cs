using Microsoft.EntityFrameworkCore;
using SelfLong.Data.SystemChecks;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<SystemCheck> SystemChecks => Set<SystemCheck>();
}

using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Demo;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<DemoRun> DemoRuns => Set<DemoRun>();
}

using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Synthesis;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<SynthesisRun> SynthesisRuns => Set<SynthesisRun>();
    public DbSet<Sample> SynthesisSamples => Set<Sample>();
}

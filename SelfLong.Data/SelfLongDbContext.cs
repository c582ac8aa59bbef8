using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Identity;

namespace SelfLong.Data;

/// <summary>
/// The one database of SelfLong. Each feature adds its DbSets in a partial file of its own folder
/// and its entity configurations as <see cref="IEntityTypeConfiguration{TEntity}"/> classes.
/// </summary>
public sealed partial class SelfLongDbContext(DbContextOptions<SelfLongDbContext> options)
    : IdentityDbContext<SelfLongUser>(options), IDataProtectionKeyContext
{
    /// <summary>Data Protection keys, shared by the web app and every worker (they protect API keys).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasPostgresExtension("vector");
        builder.ApplyConfigurationsFromAssembly(typeof(SelfLongDbContext).Assembly);
    }
}

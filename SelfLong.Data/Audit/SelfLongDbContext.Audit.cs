using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Audit;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
}

using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Endpoints;

namespace SelfLong.Data;

public sealed partial class SelfLongDbContext
{
    public DbSet<ModelEndpoint> ModelEndpoints => Set<ModelEndpoint>();
    public DbSet<LlmCall> LlmCalls => Set<LlmCall>();
}

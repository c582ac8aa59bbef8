using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SelfLong.Data;

/// <summary>Lets `dotnet ef migrations add` build the model without a running app or database.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<SelfLongDbContext>
{
    public SelfLongDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SelfLongDbContext>();
        DataExtensions.Configure(options, "Host=127.0.0.1;Database=selflong_design");
        return new SelfLongDbContext(options.Options);
    }
}

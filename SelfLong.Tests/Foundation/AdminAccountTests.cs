using Microsoft.Extensions.Hosting;
using SelfLong.Jobs.Accounts;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

public sealed class AdminAccountTests
{
    private static async Task<(TestDatabase Db, IHost Host)> StartAsync()
    {
        var db = await TestDatabase.CreateAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:SelfLong"] = db.ConnectionString;
        SelfLong.Data.DataExtensions.AddSelfLongData(builder);
        builder.Services.AddSelfLongIdentityCore();
        return (db, builder.Build());
    }

    [Fact]
    public async Task Create_ShortPassword_ExplainsRule()
    {
        var (db, host) = await StartAsync();
        await using var _ = db;
        using var __ = host;
        await using var scope = host.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<AdminAccounts>().CreateAsync("a@b.test", "short");
        Assert.False(outcome.Created);
        Assert.Contains(outcome.Errors, e => e.Contains("10"));
    }

    [Fact]
    public async Task Create_Twice_SecondIsRefused()
    {
        var (db, host) = await StartAsync();
        await using var _ = db;
        using var __ = host;
        await using var scope = host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AdminAccounts>();
        Assert.False(await accounts.AnyAsync());
        Assert.True((await accounts.CreateAsync("a@b.test", "a-long-Passw0rd")).Created);
        Assert.True(await accounts.AnyAsync());
        var again = await accounts.CreateAsync("a@b.test", "a-long-Passw0rd");
        Assert.False(again.Created);
        Assert.Contains(again.Errors, e => e.Contains("already exists"));
    }
}

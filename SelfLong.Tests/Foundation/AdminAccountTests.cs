using Microsoft.Extensions.Hosting;
using SelfLong.Jobs.Accounts;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

[NeedsDatabase]
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

    [Theory]
    [InlineData("tall lanterns drift over quiet harbours")] // 39 characters: no digit, no capital
    [InlineData("otters juggle kelp")]
    [InlineData("zq8-vortex-plume")]
    public async Task Create_LongPasswordWithoutCompositionRules_Accepted(string password)
    {
        var (db, host) = await StartAsync();
        await using var _ = db;
        using var __ = host;
        await using var scope = host.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<AdminAccounts>().CreateAsync("a@b.test", password);
        Assert.True(outcome.Created, string.Join(" ", outcome.Errors));
    }

    [Theory]
    [InlineData("password1234")]
    [InlineData("qwertyuiop")]
    [InlineData("aaaaaaaaaaaa")]
    [InlineData("1234567890")]
    [InlineData("iloveyou2024")]
    public async Task Create_CommonPassword_RefusedWithReason(string password)
    {
        var (db, host) = await StartAsync();
        await using var _ = db;
        using var __ = host;
        await using var scope = host.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<AdminAccounts>().CreateAsync("a@b.test", password);
        Assert.False(outcome.Created);
        Assert.Contains(outcome.Errors, e => e.Contains("common"));
    }

    [Fact]
    public async Task FirstAdministrator_PasswordRefused_ProblemSaysWhy()
    {
        var db = await TestDatabase.CreateAsync();
        await using var _ = db;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:SelfLong"] = db.ConnectionString;
        builder.Configuration["SelfLong:Admin:Email"] = "first@b.test";
        builder.Configuration["SelfLong:Admin:Password"] = "short";
        SelfLong.Data.DataExtensions.AddSelfLongData(builder);
        builder.Services.AddSelfLongIdentityCore();
        builder.Services.AddSingleton<SelfLong.Web.Features.Account.AdministratorSetup>();
        using var host = builder.Build();
        var setup = host.Services.GetRequiredService<SelfLong.Web.Features.Account.AdministratorSetup>();

        await ActivatorUtilities.CreateInstance<SelfLong.Web.Features.Account.FirstAdministrator>(host.Services).StartAsync(TestContext.Current.CancellationToken);

        Assert.Contains("first@b.test", setup.Problem);
        Assert.Contains("at least 10 characters", setup.Problem);
        Assert.Contains("SelfLong__Admin__Password", setup.Problem);
    }
}

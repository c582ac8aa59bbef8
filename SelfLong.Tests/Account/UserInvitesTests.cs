using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Accounts;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>Invite links: stored hashed, work once, expire, and each step is in the audit log.</summary>
[NeedsDatabase]
public sealed class UserInvitesTests : IAsyncDisposable
{
    private const string Password = "violet kettles hum softly";
    private readonly Clock clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private TestDatabase? db;
    private IHost? host;

    /// <summary>A clock the test moves by hand, so expiry is reached without waiting.</summary>
    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private async Task<AsyncServiceScope> ScopeAsync()
    {
        if (host is null)
        {
            db = await TestDatabase.CreateAsync();
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration["ConnectionStrings:SelfLong"] = db.ConnectionString;
            SelfLong.Data.DataExtensions.AddSelfLongData(builder);
            builder.Services.AddSelfLongIdentityCore();
            builder.Services.AddSingleton<TimeProvider>(clock);
            host = builder.Build();
        }
        return host.Services.CreateAsyncScope();
    }

    private static async Task<NewInvite> InviteAsync(AsyncServiceScope scope, string email, string role = Roles.Editor)
    {
        using var _ = AuditActor.Use(new AuditActor("boss@selflong.test", AuditActor.Page));
        var (invite, errors) = await scope.ServiceProvider.GetRequiredService<UserInvites>().InviteAsync(email, role);
        Assert.Empty(errors);
        return invite!;
    }

    [Fact]
    public async Task Accept_Once_SecondUseRefused_PasswordKept_Audited()
    {
        await using var scope = await ScopeAsync();
        var invites = scope.ServiceProvider.GetRequiredService<UserInvites>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<SelfLongUser>>();
        var invite = await InviteAsync(scope, "new@selflong.test");

        await using (var context = db!.CreateDbContext())
        {
            var stored = await context.UserTokens.SingleAsync(t => t.UserId == invite.UserId, TestContext.Current.CancellationToken);
            Assert.DoesNotContain(invite.Token, stored.Value);
            Assert.StartsWith(ApiTokens.HashOf(invite.Token) + "|", stored.Value);
        }
        var pending = (await scope.ServiceProvider.GetRequiredService<UserAdministration>().ListAsync()).Single(u => u.Email == "new@selflong.test");
        Assert.Equal((Roles.Editor, true, false), (pending.Role, pending.Invited, pending.Disabled));
        Assert.Equal(("new@selflong.test", (string?)null), await invites.CheckAsync(invite.Token));

        var accepted = await invites.AcceptAsync(invite.Token, Password);
        var again = await invites.AcceptAsync(invite.Token, "someone else's passphrase");

        Assert.Equal("new@selflong.test", accepted.Email);
        Assert.Empty(accepted.Errors);
        Assert.Null(again.Email);
        Assert.Equal([UserInvites.NotValid], again.Errors);
        Assert.Equal((null, UserInvites.NotValid), await invites.CheckAsync(invite.Token));
        var user = (await users.FindByEmailAsync("new@selflong.test"))!;
        Assert.True(await users.CheckPasswordAsync(user, Password));
        Assert.False(await users.CheckPasswordAsync(user, "someone else's passphrase"));
        await using (var context = db!.CreateDbContext())
        {
            var log = await context.AuditLog.Where(e => e.TargetId == invite.UserId).OrderBy(e => e.Id).ToListAsync(TestContext.Current.CancellationToken);
            Assert.Contains(log, e => e is { Action: AuditTrail.Invited, Actor: "boss@selflong.test" } && e.Detail!.Contains("as Editor"));
            Assert.Contains(log, e => e is { Action: AuditTrail.InviteAccepted, Actor: "new@selflong.test" });
            Assert.DoesNotContain(log, e => (e.Detail ?? "").Contains(invite.Token) || (e.Detail ?? "").Contains(Password));
        }
    }

    [Fact]
    public async Task Accept_AfterExpiry_RefusedWithDate_NewInviteReplacesOldLink()
    {
        await using var scope = await ScopeAsync();
        var invites = scope.ServiceProvider.GetRequiredService<UserInvites>();
        var first = await InviteAsync(scope, "late@selflong.test");

        clock.Now += UserInvites.Lifetime + TimeSpan.FromSeconds(1);
        var expired = await invites.AcceptAsync(first.Token, Password);
        var second = await InviteAsync(scope, "late@selflong.test");
        var old = await invites.AcceptAsync(first.Token, Password);
        var fresh = await invites.AcceptAsync(second.Token, Password);

        Assert.Null(expired.Email);
        Assert.Equal(["This invite link expired on 2026-03-08 12:00 UTC. Ask an admin for a new link."], expired.Errors);
        Assert.Equal(first.UserId, second.UserId);
        Assert.Equal([UserInvites.NotValid], old.Errors);
        Assert.Equal("late@selflong.test", fresh.Email);
    }

    [Fact]
    public async Task Accept_PasswordRefused_LinkStillWorks_ExistingAccountNotInvitable()
    {
        await using var scope = await ScopeAsync();
        var invites = scope.ServiceProvider.GetRequiredService<UserInvites>();
        var invite = await InviteAsync(scope, "picky@selflong.test", Roles.Viewer);

        var refused = await invites.AcceptAsync(invite.Token, "short");
        var accepted = await invites.AcceptAsync(invite.Token, Password);
        var (again, errors) = await invites.InviteAsync("picky@selflong.test", Roles.Admin);
        var (badRole, roleErrors) = await invites.InviteAsync("other@selflong.test", "Owner");

        Assert.Contains(refused.Errors, e => e.Contains("at least 10 characters"));
        Assert.Equal("picky@selflong.test", accepted.Email);
        Assert.Null(again);
        Assert.Equal(["A user picky@selflong.test already exists."], errors);
        Assert.Null(badRole);
        Assert.Contains("Choose a role", Assert.Single(roleErrors));
    }

    public async ValueTask DisposeAsync()
    {
        host?.Dispose();
        if (db is not null) await db.DisposeAsync();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Audit;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Accounts;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Synthesis;
using SelfLong.Tests.Synthesis;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>Who did what, when, to which thing: API changes by cookie and token, sign-ins, account changes, and the admins' export.</summary>
[NeedsDatabase]
public sealed class AuditLogTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<List<AuditEntry>> EntriesAsync(Func<AuditEntry, bool> match)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        return [.. (await db.AuditLog.AsNoTracking().OrderBy(e => e.Id).ToListAsync(Ct)).Where(match)];
    }

    [Fact]
    public async Task ApiChanges_RecordedWithWhoHowAndWhat()
    {
        using var admin = await app.CreateSignedInClientAsync();
        var name = $"audit-{Guid.NewGuid():N}"[..20];

        var created = await admin.PostAsJsonAsync("/api/corpora", new { name, chunkTokens = 64, chunkOverlapTokens = 8 }, Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var deleted = await admin.DeleteAsync($"/api/corpora/{id}", Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var entries = await EntriesAsync(e => e.TargetKind == "corpus" && e.TargetId == id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([AuditTrail.Created, AuditTrail.Deleted], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal((AppFixture.AdminEmail, AuditActor.Api), (e.Actor, e.Via)));
        Assert.Contains(name, entries[0].Detail);
    }

    [Fact]
    public async Task ApiCancel_RecordedAsAStatusChangeByWhoCancelled()
    {
        var (corpusId, _) = await app.HandMadeAsync();
        var endpoint = await app.Services.GetRequiredService<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        // Created but not started: a queued run, so the cancel always finds it waiting.
        var (run, errors) = await app.Services.GetRequiredService<SynthesisRunService>().CreateAsync(
            new NewSynthesisRun($"audit {Guid.NewGuid():N}"[..20], corpusId, endpoint.Id, 2), Ct);
        Assert.Empty(errors);
        using var editor = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);

        var cancelled = await editor.PostAsync($"/api/synthesis/runs/{run!.Id}/cancel", null, Ct);

        Assert.True(cancelled.IsSuccessStatusCode, $"{cancelled.StatusCode}");
        var entry = Assert.Single(await EntriesAsync(e => e.TargetKind == "synthesis run" && e.TargetId == run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal((AppFixture.EditorEmail, AuditActor.Api, AuditTrail.Changed), (entry.Actor, entry.Via, entry.Action));
        Assert.Contains("Status: Cancelled", entry.Detail);
    }

    [Fact]
    public async Task TokenUse_RecordedAsTheOwnerViaToken()
    {
        var tokens = app.Services.GetRequiredService<ApiTokens>();
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var editorId = await db.Users.Where(u => u.Email == AppFixture.EditorEmail).Select(u => u.Id).SingleAsync(Ct);
        var (token, _) = await tokens.CreateAsync(editorId, "audit", ApiTokenScope.Write, 1, Ct);
        using var client = app.CreatePlainClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.Secret);
        var name = $"audit-{Guid.NewGuid():N}"[..20];

        var created = await client.PostAsJsonAsync("/api/corpora", new { name }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var used = Assert.Single(await EntriesAsync(e => e.Action == AuditTrail.TokenUsed && e.TargetId == token.Token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal((AppFixture.EditorEmail, AuditActor.Token), (used.Actor, used.Via));
        var corpus = Assert.Single(await EntriesAsync(e => e.TargetKind == "corpus" && e.Detail == name));
        Assert.Equal((AppFixture.EditorEmail, AuditActor.Token, AuditTrail.Created), (corpus.Actor, corpus.Via, corpus.Action));
    }

    [Fact]
    public async Task SignIns_SucceededAndFailed_Recorded()
    {
        var email = $"nobody-{Guid.NewGuid():N}"[..16] + "@selflong.test";
        using var client = app.CreatePlainClient();

        var failed = await client.PostAsJsonAsync("/api/auth/signin", new { email, password = "wrong password here" }, Ct);
        var start = (await EntriesAsync(_ => true)).LastOrDefault()?.Id ?? 0;
        using var signedIn = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);

        Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        var refusal = Assert.Single(await EntriesAsync(e => e.Actor == email));
        Assert.Equal(AuditTrail.SignInFailed, refusal.Action);
        Assert.Contains(await EntriesAsync(e => e.Id > start), e => e.Actor == AppFixture.ViewerEmail && e.Action == AuditTrail.SignedIn);
    }

    [Fact]
    public async Task AccountChanges_RecordedByWhatWasDone()
    {
        var email = $"aud-{Guid.NewGuid():N}"[..12] + "@selflong.test";
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        using (AuditActor.Use(new AuditActor(AppFixture.AdminEmail, AuditActor.Page)))
        {
            Assert.Empty(await users.CreateAsync(email, app.AdminPassword, Roles.Viewer));
            var id = (await users.ListAsync()).Single(u => u.Email == email).Id;
            Assert.Empty(await users.SetRoleAsync(id, Roles.Editor));
            Assert.Empty(await users.SetDisabledAsync(id, true));
        }

        var entries = await EntriesAsync(e => e.TargetKind == "user" && e.Detail?.StartsWith(email, StringComparison.Ordinal) == true);
        Assert.Equal([$"{email} as Viewer", $"{email}: role Viewer → Editor", $"{email}: disabled"], entries.Select(e => e.Detail));
        Assert.All(entries, e => Assert.Equal(AppFixture.AdminEmail, e.Actor));
    }

    [Fact]
    public async Task NobodyActing_NothingRecorded()
    {
        var name = $"quiet-{Guid.NewGuid():N}"[..20];
        var (corpus, errors) = await app.Services.GetRequiredService<CorpusService>().CreateAsync(new CorpusSettings { Name = name }, Ct);

        Assert.Empty(errors);
        Assert.NotNull(corpus);
        Assert.Empty(await EntriesAsync(e => e.Detail == name));
    }

    [Fact]
    public async Task Export_AdminsOnly_FilteredCsv()
    {
        using var admin = await app.CreateSignedInClientAsync();
        using var editor = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);
        var name = $"=csv-{Guid.NewGuid():N}"[..20];
        (await admin.PostAsJsonAsync("/api/corpora", new { name }, Ct)).EnsureSuccessStatusCode();

        var csv = await admin.GetStringAsync($"/api/admin/audit.csv?target={Uri.EscapeDataString(name)}", Ct);
        var refused = await editor.GetAsync("/api/admin/audit.csv", Ct);

        var lines = csv.Trim().Split('\n');
        Assert.Equal("at,actor,via,action,target_kind,target_id,detail", lines[0]);
        var row = Assert.Single(lines.Skip(1));
        // A leading '=' would be a formula in a spreadsheet: it is written as text.
        Assert.EndsWith(",'" + name, row);
        Assert.Contains($",{AppFixture.AdminEmail},api,created,corpus,", row);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using SelfLong.Jobs.Accounts;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>
/// Uploads are limited per account (SelfLong:RateLimits:UploadPermits per UploadWindow): one
/// account over the limit is refused with 429 and a body that says why, another account uploading
/// from the same address is not. The web process runs with a small limit of its own (the suite app allows many).
/// </summary>
[NeedsDatabase]
public sealed class UploadLimitsTests
{
    private const int Permits = 3;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Upload_OverTheLimitForOneAccount_429WithReason_OtherAccountStillUploads()
    {
        var password = $"Pw-{Guid.NewGuid():N}";
        // A long window, so the refusals cannot fall into a fresh one while the test runs.
        await using var web = await WebProcess.StartAsync(AppFixture.AdminEmail, password, new Dictionary<string, string>
        {
            ["SelfLong:RateLimits:UploadPermits"] = Permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SelfLong:RateLimits:UploadWindow"] = "00:30:00",
        });
        await CreateEditorAsync(web.ConnectionString, password);
        using var admin = await SignedInAsync(web, AppFixture.AdminEmail, password);
        using var editor = await SignedInAsync(web, AppFixture.EditorEmail, password);
        var corpus = (await (await admin.PostAsJsonAsync("/api/corpora", new { name = "limits" }, Ct))
            .Content.ReadFromJsonAsync<SelfLong.Jobs.Corpora.CorpusSummary>(Json, Ct))!;

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Permits; i++) statuses.Add((await UploadAsync(admin, corpus.Id, i)).StatusCode);
        var refused = await UploadAsync(admin, corpus.Id, Permits);
        var other = await UploadAsync(editor, corpus.Id, 100);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var seconds = refused.Headers.RetryAfter?.Delta?.TotalSeconds;
        Assert.InRange(seconds ?? 0, 1, 30 * 60);
        Assert.Equal($"Too many uploads from this account; wait {seconds} seconds and try again.", await refused.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, long corpusId, int index)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes($"Upload number {index}: the ferry left the harbour at dawn.")), "files", $"note-{index}.txt");
        return await client.PostAsync($"/api/corpora/{corpusId}/uploads", form, Ct);
    }

    private static async Task<HttpClient> SignedInAsync(WebProcess web, string email, string password)
    {
        var client = new HttpClient(new AntiforgeryHeader(new CookieContainer())) { BaseAddress = web.Address };
        (await client.PostAsJsonAsync("/api/auth/signin", new { email, password }, Ct)).EnsureSuccessStatusCode();
        return client;
    }

    /// <summary>A second account (an editor) in the process's database, made as the users page makes one.</summary>
    private static async Task CreateEditorAsync(string connectionString, string password)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:SelfLong"] = connectionString;
        SelfLong.Data.DataExtensions.AddSelfLongData(builder);
        builder.Services.AddSelfLongIdentityCore();
        using var host = builder.Build();
        await using var scope = host.Services.CreateAsyncScope();
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<UserAdministration>().CreateAsync(AppFixture.EditorEmail, password, Roles.Editor));
    }
}

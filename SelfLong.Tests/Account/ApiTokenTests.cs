using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Identity;
using SelfLong.Jobs.Accounts;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>Personal API tokens: bearer access with the owner's role (read scope: a Viewer's), stored hashed, revoked and expired.</summary>
[NeedsDatabase]
public sealed class ApiTokenTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> UserIdAsync(string email)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync(Ct);
    }

    private async Task<NewApiToken> CreateAsync(string email, ApiTokenScope scope, int? days = 30)
    {
        var (token, errors) = await app.Services.GetRequiredService<ApiTokens>().CreateAsync(await UserIdAsync(email), $"t-{Guid.NewGuid():N}"[..12], scope, days, Ct);
        Assert.Empty(errors);
        return token!;
    }

    private HttpClient Bearer(string secret)
    {
        var client = app.CreatePlainClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    private static object NewEndpoint() => new { name = $"tok-{Guid.NewGuid():N}"[..20], kind = "OpenAiCompatible", baseUrl = "http://127.0.0.1:9/v1", model = "m" };

    [Fact]
    public async Task WriteToken_ActsWithOwnersRole_WithoutAntiforgery()
    {
        using var admin = Bearer((await CreateAsync(AppFixture.AdminEmail, ApiTokenScope.Write)).Secret);
        using var editor = Bearer((await CreateAsync(AppFixture.EditorEmail, ApiTokenScope.Write)).Secret);

        var me = await editor.GetFromJsonAsync<JsonElement>("/api/auth/me", Ct);
        var created = await admin.PostAsJsonAsync("/api/endpoints", NewEndpoint(), Ct);
        var refused = await editor.PostAsJsonAsync("/api/endpoints", NewEndpoint(), Ct);

        Assert.Equal(AppFixture.EditorEmail, me.GetProperty("email").GetString());
        Assert.Equal([Roles.Editor], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task ReadToken_OfAnAdmin_ReadsButCannotChange()
    {
        using var client = Bearer((await CreateAsync(AppFixture.AdminEmail, ApiTokenScope.Read)).Secret);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/training/runs", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/endpoints", NewEndpoint(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/training/runs", new { name = " " }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Token_StoredAsHashOnly()
    {
        var token = await CreateAsync(AppFixture.ViewerEmail, ApiTokenScope.Read);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var row = await db.ApiTokens.SingleAsync(t => t.Id == token.Token.Id, Ct);

        Assert.StartsWith(ApiTokens.SecretPrefix, token.Secret);
        Assert.True(token.Secret.Length > 40, token.Secret);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token.Secret))), row.Hash);
        Assert.DoesNotContain(token.Secret, JsonSerializer.Serialize(row));
        Assert.StartsWith(row.Prefix, token.Secret);
    }

    [Fact]
    public async Task RevokedExpiredUnknownOrDisabled_401WithBearerChallenge()
    {
        var tokens = app.Services.GetRequiredService<ApiTokens>();
        var revoked = await CreateAsync(AppFixture.EditorEmail, ApiTokenScope.Write);
        var expired = await CreateAsync(AppFixture.EditorEmail, ApiTokenScope.Write);
        using var before = Bearer(revoked.Secret);
        Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/api/training/runs", Ct)).StatusCode);
        // Only the owner revokes: the viewer's attempt changes nothing.
        Assert.False(await tokens.RevokeAsync(await UserIdAsync(AppFixture.ViewerEmail), revoked.Token.Id, Ct));
        Assert.True(await tokens.RevokeAsync(await UserIdAsync(AppFixture.EditorEmail), revoked.Token.Id, Ct));
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct))
            await db.ApiTokens.Where(t => t.Id == expired.Token.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)), Ct);

        var disabledEmail = $"tok-{Guid.NewGuid():N}"[..12] + "@selflong.test";
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        Assert.Empty(await users.CreateAsync(disabledEmail, app.AdminPassword, Roles.Editor));
        var ofDisabled = await CreateAsync(disabledEmail, ApiTokenScope.Write);
        Assert.Empty(await users.SetDisabledAsync(await UserIdAsync(disabledEmail), true));

        foreach (var secret in new[] { revoked.Secret, expired.Secret, ofDisabled.Secret, ApiTokens.SecretPrefix + "not-a-token", "garbage" })
        {
            using var client = Bearer(secret);
            var response = await client.GetAsync("/api/training/runs", Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }
    }

    [Fact]
    public async Task Create_BadNameOrLifetime_ClearErrorsAndNoToken()
    {
        var tokens = app.Services.GetRequiredService<ApiTokens>();
        var userId = await UserIdAsync(AppFixture.ViewerEmail);

        var (noName, nameErrors) = await tokens.CreateAsync(userId, "  ", ApiTokenScope.Read, 30, Ct);
        var (tooLong, lifeErrors) = await tokens.CreateAsync(userId, "ci", ApiTokenScope.Read, ApiTokens.MaxLifetimeDays + 1, Ct);

        Assert.Null(noName);
        Assert.Contains("name", Assert.Single(nameErrors));
        Assert.Null(tooLong);
        Assert.Contains("days", Assert.Single(lifeErrors));
    }

    [Fact]
    public async Task OpenApiDocument_DeclaresTheBearerScheme_AndATokenReadsIt()
    {
        using var client = Bearer((await CreateAsync(AppFixture.ViewerEmail, ApiTokenScope.Read)).Secret);
        var document = await client.GetFromJsonAsync<JsonElement>("/api/openapi/v1.json", Ct);

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(document.GetProperty("security")[0].TryGetProperty("Bearer", out _));
    }

    [Fact]
    public async Task Bearer_OnAPage_IsNotASignIn()
    {
        using var client = Bearer((await CreateAsync(AppFixture.AdminEmail, ApiTokenScope.Write)).Secret);
        var page = await client.GetAsync("/admin/users", Ct);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/account/signin", page.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Cli_CreateListRevoke_PrintsJsonAndTheTokenWorksUntilRevoked()
    {
        var limit = TimeSpan.FromMinutes(3);
        var created = await CliProcess.RunAsync(app.ConnectionString, limit, "token", "create", "--email", AppFixture.EditorEmail, "--name", "ci", "--scope", "write", "--days", "7");
        Assert.True(created.ExitCode == 0, created.Error);
        var json = JsonDocument.Parse(created.Output).RootElement;
        var secret = json.GetProperty("secret").GetString()!;
        var id = json.GetProperty("token").GetProperty("id").GetInt64();
        using var client = Bearer(secret);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/auth/me", Ct);

        var listed = await CliProcess.RunAsync(app.ConnectionString, limit, "token", "list", "--email", AppFixture.EditorEmail);
        var revoked = await CliProcess.RunAsync(app.ConnectionString, limit, "token", "revoke", "--email", AppFixture.EditorEmail, "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var notOwner = await CliProcess.RunAsync(app.ConnectionString, limit, "token", "revoke", "--email", AppFixture.ViewerEmail, "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(AppFixture.EditorEmail, me.GetProperty("email").GetString());
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains(JsonDocument.Parse(listed.Output).RootElement.EnumerateArray(), t => t.GetProperty("id").GetInt64() == id && t.GetProperty("scope").GetString() == "write");
        Assert.DoesNotContain(secret, listed.Output);
        Assert.Equal(0, revoked.ExitCode);
        Assert.Equal(1, notOwner.ExitCode);
        Assert.Contains("no token", notOwner.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me", Ct)).StatusCode);
    }
}

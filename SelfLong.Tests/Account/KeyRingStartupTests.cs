using System.Net;
using System.Net.Http.Json;
using Npgsql;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>
/// The web process as `./selflong run` starts it: Data Protection keys are written encrypted, so
/// its log has no "No XML encryptor configured" warning and the stored key XML holds no plain master key.
/// </summary>
[NeedsDatabase]
public sealed class KeyRingStartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_SignInAndOut_LogHasNoEncryptorWarning_KeysStoredEncrypted()
    {
        var password = $"Pw-{Guid.NewGuid():N}";
        await using var web = await WebProcess.StartAsync(AppFixture.AdminEmail, password);
        // A sign-in page (antiforgery token) and a sign-in (cookie) both protect data with the key ring.
        using var client = new HttpClient(new AntiforgeryHeader(new CookieContainer())) { BaseAddress = web.Address };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/signin", Ct)).StatusCode);
        (await client.PostAsJsonAsync("/api/auth/signin", new { email = AppFixture.AdminEmail, password }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me", Ct)).StatusCode);

        await web.Process.StopAsync(Ct);
        var output = web.Process.Output;
        var keys = await KeyXmlAsync(web.ConnectionString);

        // The whole log, start to orderly end, was read.
        Assert.Contains("Now listening on", output);
        Assert.Contains("Application is shutting down", output);
        Assert.DoesNotContain("No XML encryptor configured", output);
        Assert.DoesNotContain("unencrypted form", output);
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("<encryptedSecret", xml);
            Assert.DoesNotContain("<masterKey", xml);
        });
    }

    private static async Task<List<string>> KeyXmlAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT \"Xml\" FROM \"DataProtectionKeys\"", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var keys = new List<string>();
        while (await reader.ReadAsync(Ct)) keys.Add(reader.GetString(0));
        return keys;
    }
}

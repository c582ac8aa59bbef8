using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using SelfLong.Data;
using SelfLong.Data.DataProtection;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>The Data Protection key ring is stored encrypted with a certificate kept outside the database.</summary>
[NeedsDatabase]
public sealed class KeyRingEncryptionTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IConfiguration Settings(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))).Build();

    /// <summary>A data protector over <paramref name="database"/>'s key ring, as the app builds it, with or without the certificate.</summary>
    private static ServiceProvider Protection(TestDatabase database, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContextFactory<SelfLongDbContext>(o => DataExtensions.Configure(o, database.DataSource));
        var protection = services.AddDataProtection().SetApplicationName("SelfLong").PersistKeysToDbContext<SelfLongDbContext>();
        if (certificate is not null) protection.ProtectKeysWithCertificate(certificate);
        return services.BuildServiceProvider();
    }

    private static bool HasPlainSecret(string xml) => xml.Contains("requiresEncryption=\"true\"", StringComparison.Ordinal);

    [Fact]
    public async Task AppKeys_StoredEncrypted()
    {
        var protector = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("secret", protector.Unprotect(protector.Protect("secret")));

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var keys = await db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync(Ct);
        Assert.NotEmpty(keys);
        Assert.All(keys, xml => Assert.Contains("<encryptedSecret", xml));
        Assert.DoesNotContain(keys, HasPlainSecret);
    }

    [Fact]
    public async Task KeyStoredBefore_EncryptedInPlace_StillOpensWithTheCertificateOnly()
    {
        await using var database = await TestDatabase.CreateAsync();
        var folder = Directory.CreateTempSubdirectory("selflong-dp-").FullName;
        try
        {
            string protectedText;
            await using (var before = Protection(database, null))
                protectedText = before.GetRequiredService<IDataProtectionProvider>().CreateProtector("api keys").Protect("sk-old");
            await using (var db = database.CreateDbContext())
                Assert.True(HasPlainSecret((await db.DataProtectionKeys.SingleAsync(Ct)).Xml!));

            var certificate = KeyRingCertificate.Load(Settings(("SelfLong:DataProtection:GeneratedCertificatePath", Path.Combine(folder, "dp.pfx"))));
            int changed;
            await using (var db = database.CreateDbContext())
                changed = await KeyRingEncryption.EncryptStoredKeysAsync(db, certificate, Ct);
            await using (var db = database.CreateDbContext())
            {
                var xml = (await db.DataProtectionKeys.SingleAsync(Ct)).Xml!;
                Assert.False(HasPlainSecret(xml), xml);
                Assert.Contains("<encryptedSecret", xml);
                // A second pass finds nothing left to do.
                Assert.Equal(0, await KeyRingEncryption.EncryptStoredKeysAsync(db, certificate, Ct));
            }

            await using var after = Protection(database, certificate);
            await using var withoutCertificate = Protection(database, null);
            Assert.Equal(1, changed);
            Assert.Equal("sk-old", after.GetRequiredService<IDataProtectionProvider>().CreateProtector("api keys").Unprotect(protectedText));
            Assert.ThrowsAny<CryptographicException>(() =>
                withoutCertificate.GetRequiredService<IDataProtectionProvider>().CreateProtector("api keys").Unprotect(protectedText));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void GeneratedCertificate_OwnerOnly_AndReusedNextStart()
    {
        var folder = Directory.CreateTempSubdirectory("selflong-dp-").FullName;
        try
        {
            var path = Path.Combine(folder, "keys", "dp.pfx");
            var settings = Settings(("SelfLong:DataProtection:GeneratedCertificatePath", path));

            using var first = KeyRingCertificate.Load(settings);
            using var second = KeyRingCertificate.Load(settings);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(first.Thumbprint, second.Thumbprint);
            Assert.True(second.HasPrivateKey);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ConfiguredCertificateMissing_ClearError()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            KeyRingCertificate.Load(Settings(("SelfLong:DataProtection:CertificatePath", "/nonexistent/dp.pfx"))));
        Assert.Contains("SelfLong:DataProtection:CertificatePath", error.Message);
        Assert.Contains("/nonexistent/dp.pfx", error.Message);
    }
}

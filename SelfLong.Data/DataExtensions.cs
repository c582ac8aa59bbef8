using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SelfLong.Data.Audit;
using SelfLong.Data.DataProtection;

namespace SelfLong.Data;

public static class DataExtensions
{
    public const string ConnectionStringName = "SelfLong";

    /// <summary>Registers the data source (with pgvector types) and the DbContext factory.</summary>
    public static IHostApplicationBuilder AddSelfLongData(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetSelfLongConnectionString();
        builder.Services.AddSingleton(_ => BuildDataSource(connectionString));
        builder.Services.AddDbContextFactory<SelfLongDbContext>((sp, options) =>
            Configure(options, sp.GetRequiredService<NpgsqlDataSource>()));
        // One key ring in the database, so a secret protected by the web app opens in a worker;
        // encrypted with a certificate kept outside it (KeyRingCertificate).
        var certificate = KeyRingCertificate.Load(builder.Configuration);
        builder.Services.AddSingleton(new KeyRingCertificateHolder(certificate));
        var protection = builder.Services.AddDataProtection()
            .SetApplicationName("SelfLong")
            .PersistKeysToDbContext<SelfLongDbContext>()
            .ProtectKeysWithCertificate(certificate);
        if (KeyRingCertificate.LoadPrevious(builder.Configuration) is { } previous) protection.UnprotectKeysWithAnyCertificate(previous);
        return builder;
    }

    public static string GetSelfLongConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString(ConnectionStringName)
        ?? throw new InvalidOperationException(
            $"ConnectionStrings:{ConnectionStringName} is not set. `./selflong run` sets it for the " +
            "project-local database; elsewhere set ConnectionStrings__SelfLong.");

    public static NpgsqlDataSource BuildDataSource(string connectionString)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString);
        dataSource.UseVector();
        return dataSource.Build();
    }

    public static void Configure(DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, npgsql => npgsql.UseVector()).AddInterceptors(AuditInterceptor.Instance);

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.UseVector()).AddInterceptors(AuditInterceptor.Instance);

    /// <summary>How long one migration command may run.</summary>
    public static readonly TimeSpan MigrationTimeout = TimeSpan.FromHours(1);

    /// <summary>Applies pending migrations; never EnsureCreated, so upgrades keep their data.</summary>
    public static async Task MigrateSelfLongDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        // A migration may build an index over every corpus's rows (PerCorpusTextIndex: about a
        // minute for a million chunks here); the default 30 s would abort it, and a deployment with
        // it half done, so migrations get as long as an hour.
        db.Database.SetCommandTimeout(MigrationTimeout);
        await db.Database.MigrateAsync(ct);
        if (services.GetService<KeyRingCertificateHolder>() is { } holder)
            await KeyRingEncryption.EncryptStoredKeysAsync(db, holder.Certificate, ct);
        // The vector type was created by the migration; reload so this data source maps it.
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ReloadTypesAsync(ct);
    }
}

using SelfLong.Jobs.Load;

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// The built web app (SelfLong.Web.dll) as its own process on a database of its own, as
/// `./selflong run` starts it, for what only a real start shows: its console output at start-up,
/// and settings the suite's shared app cannot change (rate limits, the configured administrator).
/// </summary>
public sealed class WebProcess : IAsyncDisposable
{
    private readonly string folder;

    private WebProcess(string database, string folder, DashboardProcess process)
    {
        Database = database;
        this.folder = folder;
        Process = process;
    }

    public string Database { get; }
    public string ConnectionString => TestPostgres.ConnectionStringFor(Database);
    public DashboardProcess Process { get; }
    public Uri Address => Process.Address;

    /// <summary>Starts on a new migrated database with <paramref name="adminPassword"/> as SelfLong__Admin__Password; logs at Information, as appsettings.json has it.</summary>
    public static async Task<WebProcess> StartAsync(string adminEmail, string adminPassword, IReadOnlyDictionary<string, string>? settings = null)
    {
        TestNeeds.Require(TestNeeds.Database, nameof(WebProcess));
        var database = await TestPostgres.CreateMigratedDatabaseAsync("web");
        // Run folders and the generated key-ring certificate of its own, not the build folder's.
        var folder = Directory.CreateTempSubdirectory("selflong-web-").FullName;
        var all = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["SelfLong:Storage:Root"] = folder,
            ["SelfLong:DataProtection:GeneratedCertificatePath"] = Path.Combine(folder, "dataprotection.pfx"),
        };
        try
        {
            var process = await DashboardProcess.StartAsync(TestPostgres.ConnectionStringFor(database), adminEmail, adminPassword, all,
                TestContext.Current.CancellationToken);
            return new WebProcess(database, folder, process);
        }
        catch
        {
            await TestPostgres.DropDatabaseAsync(database);
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Process.Dispose();
        await TestPostgres.DropDatabaseAsync(Database);
        Directory.Delete(folder, recursive: true);
    }
}

using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Web;

[assembly: AssemblyFixture(typeof(SelfLong.Tests.Infrastructure.AppFixture))]

namespace SelfLong.Tests.Infrastructure;

/// <summary>
/// The real app (Kestrel on a loopback port, in-process Hangfire server) on its own migrated
/// database, shared by the suite: Hangfire's configuration is process-wide, so one app per run.
/// Tests create the rows they need under unique names and never count on others' rows.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@selflong.test";
    public const string EditorEmail = "editor@selflong.test";
    public const string ViewerEmail = "viewer@selflong.test";
    public string AdminPassword { get; } = $"Pw-{Guid.NewGuid():N}";

    private WebApplication? app;
    private readonly QueryCounter queries = new();
    private string? database;
    // Run folders are named by run id, and every test database numbers runs from 1: a folder of
    // its own keeps this app from resuming from another test process's checkpoints.
    private readonly string runsDirectory = Directory.CreateTempSubdirectory("selflong-test-runs-").FullName;

    /// <summary>The memory of the suite app's training device (SelfLong:Training:DeviceMemoryBytes).</summary>
    public const long DeviceMemoryBytes = 4L << 30;

    public WebApplication App => Started(app) ?? throw new InvalidOperationException("App not started.");
    public Uri BaseAddress { get => Started(baseAddress)!; private set => baseAddress = value; }
    private Uri? baseAddress;
    public IServiceProvider Services => App.Services;
    /// <summary>The app's storage root (SelfLong:Storage:Root): run folders and uploaded training data lie under it.</summary>
    public string StorageRoot => runsDirectory;
    public string ConnectionString { get => Started(connectionString)!; private set => connectionString = value; }
    private string? connectionString;

    public async ValueTask InitializeAsync()
    {
        // Assembly fixtures start before any test, whichever tests run: the fast run has no database.
        if (TestNeeds.FastRun) return;
        database = await TestPostgres.CreateEmptyDatabaseAsync("app");
        ConnectionString = TestPostgres.ConnectionStringFor(database);
        app = SelfLongWebApplication.Create([], builder =>
        {
            builder.Configuration["ConnectionStrings:SelfLong"] = ConnectionString;
            builder.Configuration["SelfLong:Admin:Email"] = AdminEmail;
            builder.Configuration["SelfLong:Admin:Password"] = AdminPassword;
            builder.Configuration["SelfLong:Jobs:WorkerCount"] = "2";
            builder.Configuration["SelfLong:Storage:Root"] = runsDirectory;
            // Tests keep their checkpoints and data files in temporary folders.
            builder.Configuration["SelfLong:Storage:AllowedRoots:0"] = runsDirectory;
            builder.Configuration["SelfLong:Storage:AllowedRoots:1"] = Path.GetTempPath();
            // Every test signs in from 127.0.0.1; the rate-limit tests use loopback addresses of their own.
            builder.Configuration["SelfLong:RateLimits:SignInPermits"] = "300";
            // All suite uploads are the administrator's.
            builder.Configuration["SelfLong:RateLimits:UploadPermits"] = "100000";
            // The suite's training device, whatever the machine: every test run fits in it, and a
            // test that asks for more is refused the same way on every machine.
            builder.Configuration["SelfLong:Training:DeviceMemoryBytes"] = DeviceMemoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Logging:LogLevel:Default"] = "Warning";
            // The real policy, with waits short enough for tests (Retry-After of 1 s is still honoured).
            builder.Configuration["SelfLong:ModelCalls:InitialBackoff"] = "00:00:00.100";
            builder.Configuration["SelfLong:ModelCalls:MaxBackoff"] = "00:00:02";
            builder.Configuration["SelfLong:ModelCalls:EvaluationAttemptTimeout"] = "00:00:30";
            // Reads a test watches are counted (QueryCounter); runs a test names can be held after a step (TrainingStepGate).
            builder.Services.AddSingleton(queries).ConfigureDbContext<SelfLongDbContext>(options => options.AddInterceptors(queries), ServiceLifetime.Singleton);
            // Model URLs may name hosts a test resolves itself (TestHostNames), through the app's one resolver.
            builder.Services.AddSingleton<TestHostNames>()
                .AddSingleton<SelfLong.Jobs.Endpoints.HostNameResolver>(services => services.GetRequiredService<TestHostNames>().ResolveAsync);
            builder.Services.AddSingleton<TrainingStepGate>()
                .AddSingleton<SelfLong.Jobs.Training.ITrainingStepObserver>(services => services.GetRequiredService<TrainingStepGate>());
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        });
        await app.Services.MigrateSelfLongDatabaseAsync();
        await app.StartAsync();
        // Hangfire logs through one process-wide provider, which the last host to configure Hangfire
        // sets. A test that runs a command-line verb in this process builds such a host and disposes
        // it; Hangfire parts this app made after that would fail on its disposed logger. They are
        // made now, while the provider is this app's.
        _ = app.Services.GetRequiredService<Hangfire.IBackgroundJobClient>();
        _ = app.Services.GetRequiredService<Hangfire.IRecurringJobManager>();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<SelfLong.Jobs.Accounts.UserAdministration>();
            foreach (var (email, role) in new[] { (EditorEmail, SelfLong.Jobs.Accounts.Roles.Editor), (ViewerEmail, SelfLong.Jobs.Accounts.Roles.Viewer) })
                Assert.Empty(await users.CreateAsync(email, AdminPassword, role));
        }
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseAddress = new Uri(address);
    }

    private static T? Started<T>(T? part)
    {
        TestNeeds.Require(TestNeeds.Database, "The suite app (AppFixture)");
        return part;
    }

    /// <summary>A client with a cookie jar; once signed in, its API changes carry the antiforgery token as the dashboard's do.</summary>
    public HttpClient CreateClient() => new(new AntiforgeryHeader(new CookieContainer())) { BaseAddress = BaseAddress };

    /// <summary>A client with a cookie jar and nothing more: what a forged cross-site request can send.</summary>
    public HttpClient CreatePlainClient() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = BaseAddress };

    /// <summary>A client holding the sign-in cookie of the administrator, or of the suite's editor or viewer.</summary>
    public async Task<HttpClient> CreateSignedInClientAsync(string email = AdminEmail)
    {
        var client = CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/signin", new { email, password = AdminPassword });
        response.EnsureSuccessStatusCode();
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        if (database is not null) await TestPostgres.DropDatabaseAsync(database);
        if (Directory.Exists(runsDirectory)) Directory.Delete(runsDirectory, recursive: true);
    }
}

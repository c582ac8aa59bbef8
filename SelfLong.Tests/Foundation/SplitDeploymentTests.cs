using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Faults;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Load;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Corpora;

namespace SelfLong.Tests.Foundation;

/// <summary>
/// A deployment with separate workers: the dashboard as its own process with no job server
/// (SelfLong:Jobs:RunServer=false) and `worker --queues ingest` beside it, on one database. The work a
/// user starts in the dashboard is done by the worker, and only by it.
/// </summary>
[NeedsDatabase]
public sealed class SplitDeploymentTests : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string? database;

    [Fact]
    public async Task DashboardWithoutJobServer_IngestWorkerProcess_FinishesTheUploadTheDashboardQueued()
    {
        database = await TestPostgres.CreateMigratedDatabaseAsync("split");
        var connection = TestPostgres.ConnectionStringFor(database);
        var password = $"Pw-{Guid.NewGuid():N}";
        // Nothing shared but the database: the upload waits in it for the worker.
        var settings = new Dictionary<string, string>();
        using var dashboard = await DashboardProcess.StartAsync(connection, AppFixture.AdminEmail, password, settings, Ct);
        using var client = new HttpClient(new AntiforgeryHeader(new CookieContainer())) { BaseAddress = dashboard.Address };
        (await client.PostAsJsonAsync("/api/auth/signin", new { email = AppFixture.AdminEmail, password }, Ct)).EnsureSuccessStatusCode();

        var corpus = (await (await client.PostAsJsonAsync("/api/corpora", new { name = "split", chunkTokens = 64, chunkOverlapTokens = 8 }, Ct))
            .Content.ReadFromJsonAsync<CorpusSummary>(Json, Ct))!;
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes("The lighthouse keeper trimmed the lamp wick every night before the storm."));
        form.Add(file, "files", "lights.txt");
        var upload = await client.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, Ct);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var run = (await upload.Content.ReadFromJsonAsync<IngestionRunDto>(Json, Ct))!;
        Assert.Equal("Queued", run.Status);
        // The dashboard serves pages only: no job server of its own.
        Assert.Empty(await ServersAsync(connection));

        using var worker = WorkerProcess.Start(connection, JobQueues.Ingest, settings);
        var finished = await Poll.UntilAsync(async () => (await client.GetFromJsonAsync<IngestionRunDto>($"/api/ingestions/{run.Id}", Json, Ct))!,
            r => r.Finished, $"ingestion run {run.Id} finished by the worker", TimeSpan.FromMinutes(3), describe: r => r.Status);

        Assert.Equal("Succeeded", finished.Status);
        Assert.Equal(1, finished.Documents);
        var hits = (await client.GetFromJsonAsync<List<SearchHitDto>>($"/api/corpora/{corpus.Id}/search?q=lighthouse%20keeper&k=1", Json, Ct))!;
        Assert.Equal("lights.txt", Assert.Single(hits).DocumentTitle);
        // One job server, the worker's, listening to the ingest queue only; it processed every job.
        var (server, queues) = Assert.Single(await ServersAsync(connection));
        Assert.Equal([JobQueues.Ingest], queues);
        Assert.All(await ProcessingServersAsync(connection), id => Assert.Equal(server, id));
        Assert.NotEmpty(await ProcessingServersAsync(connection));
    }

    private static async Task<List<(string Id, string[] Queues)>> ServersAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT id, data::text FROM hangfire.server", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var servers = new List<(string, string[])>();
        while (await reader.ReadAsync(Ct))
        {
            using var data = JsonDocument.Parse(reader.GetString(1));
            servers.Add((reader.GetString(0), [.. data.RootElement.GetProperty("Queues").EnumerateArray().Select(q => q.GetString()!)]));
        }
        return servers;
    }

    /// <summary>The server each job was processing on, from Hangfire's state history.</summary>
    private static async Task<List<string>> ProcessingServersAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT data::text FROM hangfire.state WHERE name = 'Processing'", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var servers = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            using var data = JsonDocument.Parse(reader.GetString(0));
            servers.Add(data.RootElement.GetProperty("ServerId").GetString()!);
        }
        return servers;
    }

    public async ValueTask DisposeAsync()
    {
        if (database is not null) await TestPostgres.DropDatabaseAsync(database);
    }
}

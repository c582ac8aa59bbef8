using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Cli;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Faults;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Load;
using SelfLong.Jobs.Text;
using SelfLong.Jobs.Training.Drills;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;
using SelfLong.Web.Features.Corpora;

namespace SelfLong.Tests.Foundation;

/// <summary>
/// The dashboard and two workers as separate processes, each in its own working folder (as on
/// three machines), sharing only the database and the storage root: an upload the dashboard
/// received is ingested by one worker, synthesized from by the other, trained on by the first,
/// whose checkpoint the second evaluates.
/// </summary>
[NeedsDatabase]
[Slow]
public sealed class SharedStorageDeploymentTests(AppFixture app) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string root = Directory.CreateTempSubdirectory("selflong-shared-root-").FullName;
    private readonly string[] machines = [.. Enumerable.Range(0, 2).Select(i => Directory.CreateTempSubdirectory($"selflong-machine-{i}-").FullName)];
    private string? database;

    [Fact]
    public async Task DashboardAndTwoWorkers_SharingTheDatabaseAndTheRoot_IngestSynthesizeTrainAndEvaluateAcrossThem()
    {
        database = await TestPostgres.CreateMigratedDatabaseAsync("shared");
        var connection = TestPostgres.ConnectionStringFor(database);
        var password = $"Pw-{Guid.NewGuid():N}";
        // The settings a deployment gives every machine: one storage root, one key-ring certificate on it.
        var settings = new Dictionary<string, string>
        {
            ["SelfLong:Storage:Root"] = root,
            ["SelfLong:DataProtection:GeneratedCertificatePath"] = Path.Combine(root, "keys", "dataprotection.pfx"),
        };
        using var dashboard = await DashboardProcess.StartAsync(connection, AppFixture.AdminEmail, password, settings, Ct);
        using var client = new HttpClient(new AntiforgeryHeader(new CookieContainer())) { BaseAddress = dashboard.Address };
        (await client.PostAsJsonAsync("/api/auth/signin", new { email = AppFixture.AdminEmail, password }, Ct)).EnsureSuccessStatusCode();
        using var first = WorkerProcess.Start(connection, $"{JobQueues.Ingest},{JobQueues.Training}", settings, machines[0]);
        using var second = WorkerProcess.Start(connection, $"{JobQueues.Synthesis},{JobQueues.Evaluation}", settings, machines[1]);

        // Ingest: the upload waits in the database for the first worker.
        var corpus = (await (await client.PostAsJsonAsync("/api/corpora", new { name = "shared", chunkTokens = 128, chunkOverlapTokens = 16 }, Ct))
            .Content.ReadFromJsonAsync<CorpusSummary>(Json, Ct))!;
        var documents = new HandMadeCorpusRetriever().Documents;
        var lines = string.Join("\n", documents.Select(d => JsonSerializer.Serialize(new { title = d.Title, text = d.Text })));
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(lines)), "files", "handmade.jsonl" } };
        var upload = await client.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, Ct);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var ingestion = (await upload.Content.ReadFromJsonAsync<IngestionRunDto>(Json, Ct))!;
        ingestion = await Poll.UntilAsync(() => client.GetFromJsonAsync<IngestionRunDto>($"/api/ingestions/{ingestion.Id}", Json, Ct)!,
            r => r!.Finished, "the upload ingested by the first worker", TimeSpan.FromMinutes(3), describe: r => r!.Status);
        Assert.Equal("Succeeded", ingestion!.Status);
        Assert.Equal(documents.Count, ingestion.Documents);

        // Synthesize on the second worker, with the built-in extractive generator, in SelfLong-Tiny's byte tokens.
        var synthesis = await client.PostAsJsonAsync("/api/synthesis/runs", new
        {
            name = "shared synthesis", corpusId = corpus.Id, sampleCount = 3, endpointName = "extractive", seed = 5,
            settings = new
            {
                targetTokenizer = TokenCounters.Bytes, minTargetTokens = 400, maxTargetTokens = 900, chunkTokens = 256, summaryTokens = 64,
                responseTokens = 64, longOutputFraction = 0.0,
            },
        }, Ct);
        Assert.True(synthesis.StatusCode == HttpStatusCode.Created, await synthesis.Content.ReadAsStringAsync(Ct));
        var synthesisId = (await synthesis.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var synthesized = await Poll.UntilAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/synthesis/runs/{synthesisId}", Ct),
            r => r.GetProperty("status").GetString() is not ("Queued" or "Running"), "the synthesis run on the second worker",
            TimeSpan.FromMinutes(3), describe: r => r.GetProperty("status").GetString()!);
        Assert.Equal("Succeeded", synthesized.GetProperty("status").GetString());
        Assert.Equal(3, synthesized.GetProperty("completed").GetInt32());

        // Train on the first worker: the dashboard created the run's folder under the shared root.
        var training = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name = "shared training", synthesisRuns = new[] { new { runId = synthesisId } },
            stages = new[] { new { maxLength = 1024, ropeTheta = 10000.0, steps = 2, learningRate = 1e-3 } },
            options = new { batchSize = 1, warmupSteps = 1 },
        }, Ct);
        Assert.True(training.StatusCode == HttpStatusCode.Created, await training.Content.ReadAsStringAsync(Ct));
        var trainingId = (await training.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("run").GetProperty("id").GetInt64();
        var trained = await Poll.UntilAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/training/runs/{trainingId}", Ct),
            r => r.GetProperty("run").GetProperty("status").GetString() is not ("Queued" or "Running"), "the training run on the first worker",
            TimeSpan.FromMinutes(5), describe: r => r.GetProperty("run").GetProperty("status").GetString()!);
        Assert.True(trained.GetProperty("run").GetProperty("status").GetString() == "Succeeded", trained.ToString());
        var checkpoints = (await client.GetFromJsonAsync<List<JsonElement>>($"/api/training/runs/{trainingId}/checkpoints", Ct))!;
        var checkpoint = checkpoints.Single(c => c.GetProperty("stageEnd").GetBoolean()).GetProperty("path").GetString()!;
        Assert.StartsWith(Path.Combine(root, "runs") + "/", checkpoint);

        // Evaluate that checkpoint on the second worker (NIAH with the pass key, one cell).
        using var creator = CliHost.Build(configure: b =>
        {
            b.Configuration["ConnectionStrings:SelfLong"] = connection;
            foreach (var (key, value) in settings) b.Configuration[key] = value;
        });
        // Hangfire's log provider is process-wide: give it back to the suite app after this host.
        using var restore = new HangfireLogRestore(app.Services);
        var evaluations = creator.Services.GetRequiredService<EvaluationService>();
        var target = new EvaluationTargetRequest(EvaluationTargetKind.LocalCheckpoint, checkpoint, "selflong-tiny", null, "llama-3", 512,
            TrainingLength: 1024, Tokenizer: TokenCounters.Bytes);
        var evaluation = await evaluations.CreateNiahAsync("shared NIAH", target, PassKeyNeedle.Settings([256], [50]), Ct);
        var evaluated = await Poll.UntilAsync(async () => (await evaluations.FindAsync(evaluation.Id, Ct))!,
            r => r.Status is not (RunStatus.Queued or RunStatus.Running), "the evaluation on the second worker", TimeSpan.FromMinutes(3),
            describe: r => r.Status.ToString());
        Assert.True(evaluated.Status == RunStatus.Succeeded, evaluated.Message);
        // The cell's answer came from the checkpoint the first worker wrote: a missing folder fails the run instead.
        Assert.Single(await evaluations.NiahCellsAsync(evaluation.Id, Ct));

        // Every job ran on one of the two workers, and both did work.
        var servers = await ProcessingServersAsync(connection);
        Assert.Equal(2, servers.Distinct().Count());
        // The runs live under the root, not in any machine's own folder.
        Assert.All(machines, machine => Assert.False(Directory.Exists(Path.Combine(machine, ".selflong", "runs")), machine));
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
        foreach (var folder in machines.Append(root)) Directory.Delete(folder, recursive: true);
    }
}

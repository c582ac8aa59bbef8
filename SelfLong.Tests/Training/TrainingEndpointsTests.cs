using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

/// <summary>The training API: runs through Hangfire, cancel and resume, bad input, unknown ids, anonymous callers.</summary>
[NeedsDatabase]
public sealed partial class TrainingEndpointsTests(AppFixture app) : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("selflong-api-data-").FullName;
    private readonly List<string> outputs = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Directory.Delete(dataDir, recursive: true);
        foreach (var dir in outputs.Where(Directory.Exists)) Directory.Delete(dir, recursive: true);
    }

    private string DataFile()
    {
        var path = Path.Combine(dataDir, "patterns.jsonl");
        File.WriteAllLines(path, TrainingTestData.Patterns().Select(s => JsonSerializer.Serialize(new { text = s.Response })));
        return path;
    }

    private async Task<long> CreateAsync(HttpClient client, object request)
    {
        var response = await client.PostAsJsonAsync("/api/training/runs", request, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = created.GetProperty("run").GetProperty("id").GetInt64();
        Assert.Equal($"/api/training/runs/{id}", response.Headers.Location?.ToString());
        outputs.Add(created.GetProperty("run").GetProperty("outputDirectory").GetString()!);
        return id;
    }

    private static Task<JsonElement> WaitAsync(HttpClient client, long id, Func<JsonElement, bool> done) =>
        Poll.UntilAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/training/runs/{id}", Ct), run => done(run.GetProperty("run")),
            $"training run {id}", TimeSpan.FromSeconds(180), TimeSpan.FromMilliseconds(200),
            run => $"{run.GetProperty("run").GetProperty("status")} at step {run.GetProperty("run").GetProperty("currentStep")}");

    private static string Status(JsonElement detail) => detail.GetProperty("run").GetProperty("status").GetString()!;

    [Fact]
    public async Task Runs_TwoStageRunThroughHangfire_ListsSpecStagesMetricsAndCheckpoints()
    {
        using var client = await app.CreateSignedInClientAsync();
        var data = DataFile();
        var name = $"api-two-stage-{Guid.NewGuid():N}";
        var id = await CreateAsync(client, new
        {
            name, data = new[] { new { path = data, weight = 2.0 } },
            stages = new[] { new { maxLength = 16, ropeTheta = 100.0, steps = 2, learningRate = 1e-3 }, new { maxLength = 32, ropeTheta = 400.0, steps = 3, learningRate = 5e-4 } },
            options = new { batchSize = 2, warmupSteps = 1 },
        });

        var detail = await WaitAsync(client, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed");

        Assert.True(Status(detail) == "Succeeded", detail.GetProperty("run").GetProperty("message").ToString());
        Assert.Equal(5, detail.GetProperty("run").GetProperty("currentStep").GetInt32());
        Assert.Equal(5, detail.GetProperty("run").GetProperty("totalSteps").GetInt32());
        Assert.Equal(data, detail.GetProperty("spec").GetProperty("data")[0].GetProperty("path").GetString());
        Assert.Equal(2.0, detail.GetProperty("spec").GetProperty("data")[0].GetProperty("weight").GetDouble());
        var stages = detail.GetProperty("stages").EnumerateArray()
            .Select(s => (s.GetProperty("stage").GetInt32(), s.GetProperty("maxLength").GetInt32(), s.GetProperty("ropeTheta").GetDouble(),
                s.GetProperty("firstStep").GetInt32(), s.GetProperty("lastStep").GetInt32(), s.GetProperty("completedSteps").GetInt32()));
        Assert.Equal([(1, 16, 100.0, 1, 2, 2), (2, 32, 400.0, 3, 5, 3)], stages);

        var list = await client.GetFromJsonAsync<JsonElement>("/api/training/runs?take=500", Ct);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetInt64() == id && r.GetProperty("name").GetString() == name);
        Assert.True(list.GetProperty("total").GetInt32() >= 1);

        var metrics = await client.GetFromJsonAsync<JsonElement>($"/api/training/runs/{id}/metrics", Ct);
        Assert.Equal([(1, 1), (2, 1), (3, 2), (4, 2), (5, 2)], metrics.EnumerateArray().Select(m => (m.GetProperty("step").GetInt32(), m.GetProperty("stage").GetInt32())));
        Assert.All(metrics.EnumerateArray(), m => Assert.True(m.GetProperty("loss").GetDouble() > 0 && m.GetProperty("tokensPerSecond").GetDouble() > 0));
        var later = await client.GetFromJsonAsync<JsonElement>($"/api/training/runs/{id}/metrics?after=3", Ct);
        Assert.Equal([4, 5], later.EnumerateArray().Select(m => m.GetProperty("step").GetInt32()));

        var checkpoints = await client.GetFromJsonAsync<JsonElement>($"/api/training/runs/{id}/checkpoints", Ct);
        Assert.Equal([(2, 1, 100.0, 16), (5, 2, 400.0, 32)], checkpoints.EnumerateArray().Select(c =>
            (c.GetProperty("step").GetInt32(), c.GetProperty("stage").GetInt32(), c.GetProperty("ropeTheta").GetDouble(), c.GetProperty("maxLength").GetInt32())));
        Assert.All(checkpoints.EnumerateArray(), c => Assert.True(c.GetProperty("stageEnd").GetBoolean()
            && File.Exists(Path.Combine(c.GetProperty("path").GetString()!, "model.safetensors"))));

        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/training/runs/{id}/cancel", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/training/runs/{id}/resume", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Runs_SamplesLongerThanTheStage_ReportsCutAndSkippedSamples()
    {
        using var client = await app.CreateSignedInClientAsync();
        var data = Path.Combine(dataDir, "long.jsonl");
        // 229 byte ids: cut by 164 to fill a 64-token row (64 inputs and the last label).
        var cut = new { messages = new[] { new { role = "user", content = new string('a', 200) + " Q?" }, new { role = "assistant", content = "A." } }, is_long = true };
        // Its response alone is longer than the stage: skipped.
        var tooLong = new { messages = new[] { new { role = "user", content = "Write." }, new { role = "assistant", content = new string('r', 100) } } };
        File.WriteAllLines(data, [JsonSerializer.Serialize(cut), JsonSerializer.Serialize(tooLong)]);
        var id = await CreateAsync(client, new
        {
            name = $"api-truncation-{Guid.NewGuid():N}", data = new[] { new { path = data } },
            stages = new[] { new { maxLength = 64, ropeTheta = 100.0, steps = 2, learningRate = 1e-3 } },
            options = new { batchSize = 1, warmupSteps = 1 },
        });

        var detail = await WaitAsync(client, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed");

        Assert.True(Status(detail) == "Succeeded", detail.GetProperty("run").GetProperty("message").ToString());
        var truncation = detail.GetProperty("run").GetProperty("truncation");
        Assert.Equal(2, truncation.GetProperty("cutSamples").GetInt64()); // one per step: each fills its row
        Assert.Equal(2 * 164, truncation.GetProperty("cutTokens").GetInt64());
        Assert.True(truncation.GetProperty("tooLongSamples").GetInt64() >= 1, truncation.ToString());
        var list = await client.GetFromJsonAsync<JsonElement>("/api/training/runs?take=500", Ct);
        Assert.Equal(2, list.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetInt64() == id)
            .GetProperty("truncation").GetProperty("cutSamples").GetInt64());
    }

    [Fact]
    public async Task Runs_CancelThenResume_EndsCancelledThenFinishesEveryStepOnce()
    {
        using var client = await app.CreateSignedInClientAsync();
        // Cancelled at once: whether the job has started or still waits for the training lock, it
        // must end Cancelled (TrainingJobTests covers stopping mid-run at a checkpoint).
        var id = await CreateAsync(client, new
        {
            name = $"api-cancel-{Guid.NewGuid():N}", data = new[] { new { path = DataFile() } },
            stages = new[] { new { maxLength = 16, ropeTheta = 100.0, steps = 120, learningRate = 1e-3 } },
            options = new { batchSize = 1, warmupSteps = 1 },
        });

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/training/runs/{id}/cancel", null, Ct)).StatusCode);
        var cancelled = await WaitAsync(client, id, r => r.GetProperty("status").GetString() is not ("Queued" or "Running"));
        Assert.Equal("Cancelled", Status(cancelled));
        Assert.True(cancelled.GetProperty("run").GetProperty("currentStep").GetInt32() < 120);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/training/runs/{id}/cancel", null, Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/training/runs/{id}/resume", null, Ct)).StatusCode);
        var done = await WaitAsync(client, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed");
        Assert.Equal("Succeeded", Status(done));
        var metrics = await client.GetFromJsonAsync<JsonElement>($"/api/training/runs/{id}/metrics", Ct);
        Assert.Equal(Enumerable.Range(1, 120), metrics.EnumerateArray().Select(m => m.GetProperty("step").GetInt32()));
        var checkpoints = await client.GetFromJsonAsync<JsonElement>($"/api/training/runs/{id}/checkpoints", Ct);
        Assert.Equal(120, checkpoints.EnumerateArray().Last().GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task Create_BadInput_Returns400WithAnErrorPerFieldAndStoresNothing()
    {
        using var client = await app.CreateSignedInClientAsync();
        var missing = Path.Combine(dataDir, "absent.jsonl");
        var name = $"api-bad-{Guid.NewGuid():N}";

        var response = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name, @base = Path.Combine(dataDir, "no-model"), data = new[] { new { path = missing } }, corpusText = new[] { new { corpusId = 987654321L } },
            needleDrills = new[] { new { corpusId = 987654322L, weight = 6.0 } },
            stages = new[] { new { maxLength = 4, ropeTheta = 100.0, steps = 2, learningRate = 1e-3 } }, options = new { batchSize = 0 },
        }, Ct);
        var unnamed = await client.PostAsJsonAsync("/api/training/runs", new { name = " " }, Ct);
        var nullStage = await client.PostAsJsonAsync("/api/training/runs", new { name, data = new[] { new { path = DataFile() } }, stages = new object?[] { null } }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Equal(["base", "corpusText", "data", "needleDrills", "options", "stages"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(SelfLong.Jobs.Storage.ServerPaths.Refusal(SelfLong.Jobs.Storage.ServerPathKind.File), errors.GetProperty("data")[0].GetString());
        Assert.Equal("Corpus #987654321 does not exist.", errors.GetProperty("corpusText")[0].GetString());
        Assert.Contains("Corpus #987654322 does not exist.", errors.GetProperty("needleDrills").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("length 4 is too short", errors.GetProperty("stages")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        var unnamedErrors = (await unnamed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Equal(["data", "name", "stages"], unnamedErrors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, nullStage.StatusCode);
        Assert.Equal("Entry 1 is empty.", (await nullStage.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("stages")[0].GetString());
        var list = await client.GetStringAsync("/api/training/runs?take=500", Ct);
        Assert.DoesNotContain(name, list);
    }

    [Fact]
    public async Task Runs_UnknownId_NotFound()
    {
        using var client = await app.CreateSignedInClientAsync();
        foreach (var path in new[] { "", "/metrics", "/checkpoints" })
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/training/runs/987654321{path}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/training/runs/987654321/cancel", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Runs_Anonymous_AreRefusedAndNothingIsCreated()
    {
        using var anonymous = app.CreateClient();
        var name = $"api-anon-{Guid.NewGuid():N}";

        var list = await anonymous.GetAsync("/api/training/runs", Ct);
        var create = await anonymous.PostAsJsonAsync("/api/training/runs", new
        {
            name, data = new[] { new { path = DataFile() } }, stages = new[] { new { maxLength = 16, ropeTheta = 100.0, steps = 1, learningRate = 1e-3 } },
        }, Ct);
        var cancel = await anonymous.PostAsync("/api/training/runs/1/cancel", null, Ct);
        var metrics = await anonymous.GetAsync("/api/training/runs/1/metrics", Ct);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized],
            [list.StatusCode, create.StatusCode, cancel.StatusCode, metrics.StatusCode]);
        using var client = await app.CreateSignedInClientAsync();
        Assert.DoesNotContain(name, await client.GetStringAsync("/api/training/runs?take=500", Ct));
    }
}

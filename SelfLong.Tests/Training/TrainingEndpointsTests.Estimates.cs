using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

/// <summary>The training API's memory estimates and bases: presets, a checkpoint by id, a stage over the device.</summary>
public sealed partial class TrainingEndpointsTests
{
    [Fact]
    public async Task Estimate_PaperPreset_ReturnsThePapersStagesEachOverTheSuiteDevice()
    {
        using var client = await app.CreateSignedInClientAsync();

        var response = await client.PostAsJsonAsync("/api/training/estimate", new { preset = new { name = "paper", steps = 5, learningRate = 1e-5 } }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var preview = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(AppFixture.DeviceMemoryBytes, preview.GetProperty("deviceMemoryBytes").GetInt64());
        var stages = preview.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal([(1, 262_144, 2e6), (2, 524_288, 8e6), (3, 1_048_576, 32e6)],
            stages.Select(s => (s.GetProperty("stage").GetInt32(), s.GetProperty("maxLength").GetInt32(), s.GetProperty("ropeTheta").GetDouble())));
        var totals = stages.Select(s => s.GetProperty("memory").GetProperty("totalBytes").GetInt64()).ToList();
        Assert.Equal(totals.Order(), totals);
        // SelfLong-Tiny at 256k tokens x batch 4 already needs more than the suite's 4 GiB.
        Assert.All(stages, s => Assert.False(s.GetProperty("fits").GetBoolean()));
        Assert.Empty(preview.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task Estimate_CheckpointBaseAtItsOwnLength_WarnsAndFromBasePresetDoesNot()
    {
        using var client = await app.CreateSignedInClientAsync();
        var folder = Path.Combine(dataDir, "base");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), SelfLong.Jobs.Models.SelfLongTiny.Config(maxPositions: 128, ropeTheta: 5000).ToJson());

        var same = await client.PostAsJsonAsync("/api/training/estimate", new
        {
            @base = folder, stages = new[] { new { maxLength = 128, ropeTheta = 5000.0, steps = 1, learningRate = 1e-3 } },
        }, Ct);
        var preset = await client.PostAsJsonAsync("/api/training/estimate", new { @base = folder, preset = new { name = "from-base", stages = 2 } }, Ct);

        var warnings = (await same.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("warnings");
        Assert.Contains("not longer than the base model's max_position_embeddings (128)", Assert.Single(warnings.EnumerateArray()).GetString());
        var fromBase = await preset.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal([(256, 20_000.0), (512, 80_000.0)],
            fromBase.GetProperty("stages").EnumerateArray().Select(s => (s.GetProperty("maxLength").GetInt32(), s.GetProperty("ropeTheta").GetDouble())));
        Assert.Empty(fromBase.GetProperty("warnings").EnumerateArray());
    }

    /// <summary>A training run row with one checkpoint at <paramref name="folder"/>, as a finished run leaves them; its checkpoint's id.</summary>
    private async Task<long> SeedCheckpointAsync(string folder)
    {
        await using var db = await app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<SelfLong.Data.SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var run = new SelfLong.Data.Training.TrainingRun
        {
            Name = $"api-base-{Guid.NewGuid():N}"[..20], SpecJson = "{}", OutputDirectory = Path.GetDirectoryName(folder)!,
            Status = SelfLong.Data.Runs.RunStatus.Succeeded,
        };
        run.Checkpoints.Add(new SelfLong.Data.Training.TrainingCheckpoint { Path = folder, GlobalStep = 3, Stage = 0, StageEnd = true, RopeTheta = 5000, MaxLength = 128 });
        db.TrainingRuns.Add(run);
        await db.SaveChangesAsync(Ct);
        return run.Checkpoints[0].Id;
    }

    [Fact]
    public async Task Estimate_BaseCheckpointById_ReadsThatCheckpoint_UnknownOrBothRefusedByField()
    {
        using var client = await app.CreateSignedInClientAsync();
        var folder = Directory.CreateDirectory(Path.Combine(dataDir, "by-id")).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), SelfLong.Jobs.Models.SelfLongTiny.Config(maxPositions: 128, ropeTheta: 5000).ToJson());
        var id = await SeedCheckpointAsync(folder);

        var picked = await client.PostAsJsonAsync("/api/training/estimate", new { baseCheckpointId = id, preset = new { name = "from-base", stages = 2 } }, Ct);
        var unknown = await client.PostAsJsonAsync("/api/training/estimate", new { baseCheckpointId = 987_654_321L, preset = new { name = "from-base" } }, Ct);
        var both = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name = "both", @base = folder, baseCheckpointId = id, data = new[] { new { path = DataFile() } },
            stages = new[] { new { maxLength = 256, ropeTheta = 1e4, steps = 1, learningRate = 1e-3 } },
        }, Ct);

        Assert.True(picked.IsSuccessStatusCode, await picked.Content.ReadAsStringAsync(Ct));
        // The same stages as the folder's path gives (Estimate_CheckpointBaseAtItsOwnLength_...): its config was read.
        Assert.Equal([(256, 20_000.0), (512, 80_000.0)], (await picked.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("stages").EnumerateArray()
            .Select(s => (s.GetProperty("maxLength").GetInt32(), s.GetProperty("ropeTheta").GetDouble())));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("There is no training checkpoint #987654321; pick one from the list.",
            (await unknown.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("baseCheckpointId")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal("Give base or baseCheckpointId, not both.",
            (await both.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("baseCheckpointId")[0].GetString());
    }

    [Fact]
    public async Task Create_BaseCheckpointById_TrainsFromThatCheckpointsFolder()
    {
        using var client = await app.CreateSignedInClientAsync();
        using var checkpoint = new SelfLong.Tests.Synthesis.TinyCheckpoint(maxPositions: 256);
        var id = await SeedCheckpointAsync(checkpoint.Folder);

        var runId = await CreateAsync(client, new
        {
            name = $"api-by-id-{Guid.NewGuid():N}", baseCheckpointId = id, data = new[] { new { path = DataFile() } },
            stages = new[] { new { maxLength = 32, ropeTheta = 1e4, steps = 1, learningRate = 1e-3 } }, options = new { batchSize = 1, warmupSteps = 1 },
        });
        var detail = await WaitAsync(client, runId, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed");

        Assert.True(Status(detail) == "Succeeded", detail.GetProperty("run").GetProperty("message").ToString());
        Assert.Equal(checkpoint.Folder, detail.GetProperty("spec").GetProperty("base").GetString());
    }

    [Fact]
    public async Task Create_FromBasePreset_RunsThePresetsStagesAndReturnsTheEstimate()
    {
        using var client = await app.CreateSignedInClientAsync();

        var response = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name = $"api-preset-{Guid.NewGuid():N}", data = new[] { new { path = DataFile() } },
            preset = new { name = "from-base", stages = 1, steps = 1, learningRate = 1e-3 }, options = new { batchSize = 1, warmupSteps = 1 },
        }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        outputs.Add(created.GetProperty("run").GetProperty("outputDirectory").GetString()!);
        var stage = Assert.Single(created.GetProperty("estimate").GetProperty("stages").EnumerateArray());
        // SelfLong-Tiny's own config: 256 positions at theta 10000.
        Assert.Equal((512, 40_000.0, true), (stage.GetProperty("maxLength").GetInt32(), stage.GetProperty("ropeTheta").GetDouble(), stage.GetProperty("fits").GetBoolean()));
        Assert.True(stage.GetProperty("memory").GetProperty("totalBytes").GetInt64() > 0);
        var detail = await WaitAsync(client, created.GetProperty("run").GetProperty("id").GetInt64(), r => r.GetProperty("status").GetString() is "Succeeded" or "Failed");
        Assert.Equal("Succeeded", Status(detail));
        Assert.Equal([512], detail.GetProperty("spec").GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("maxLength").GetInt32()));
    }

    [Fact]
    public async Task Create_EstimateOverTheDeviceMemory_Returns400WithTheFigureAndStoresNothing()
    {
        using var client = await app.CreateSignedInClientAsync();
        var name = $"api-too-big-{Guid.NewGuid():N}";

        var response = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name, data = new[] { new { path = DataFile() } },
            stages = new[] { new { maxLength = 256, ropeTheta = 1e4, steps = 1, learningRate = 1e-3 }, new { maxLength = 524_288, ropeTheta = 4e4, steps = 1, learningRate = 1e-3 } },
            options = new { batchSize = 2 },
        }, Ct);
        var both = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name, data = new[] { new { path = DataFile() } }, preset = new { name = "paper" },
            stages = new[] { new { maxLength = 256, ropeTheta = 1e4, steps = 1, learningRate = 1e-3 } },
        }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        var message = Assert.Single(errors.GetProperty("stages").EnumerateArray()).GetString();
        // The figure is the estimate's, in GiB, and over the device's 4 GiB.
        var figure = System.Text.RegularExpressions.Regex.Match(message!, @"^Stage 2 \(524,288 tokens x batch 2\) needs an estimated (\d+(\.\d+)?) GiB ");
        Assert.True(figure.Success, message);
        Assert.InRange(double.Parse(figure.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 4.01, 100);
        Assert.Contains("the device (", message);
        Assert.Contains(") has 4 GiB", message);
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal("Give stages or a preset, not both.", (await both.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("preset")[0].GetString());
        Assert.DoesNotContain(name, await client.GetStringAsync("/api/training/runs?take=500", Ct));
    }
}

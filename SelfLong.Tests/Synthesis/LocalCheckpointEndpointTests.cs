using SelfLong.Jobs.Storage;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Synthesis;
using SelfLong.Data.Training;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Endpoints.Local;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Synthesis;
using TorchSharp;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

[NeedsDatabase]
public sealed class LocalCheckpointEndpointTests : IDisposable
{
    private const int MaxNewTokens = 12;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly TinyCheckpoint checkpoint = new();

    private static readonly SynthesisSettings SmallSettings = new()
    {
        MinTargetTokens = 600, MaxTargetTokens = 1_000, TopK = 4, ChunkTokens = 256, SummaryTokens = 64, ResponseTokens = 64,
        LongOutputFraction = 0,
    };

    private async Task<ModelEndpoint> AddLocalAsync(SynthesisTestHost host, string? folder = null, string device = "cpu")
    {
        var (endpoint, errors) = await host.Get<ModelEndpointService>().CreateAsync(new ModelEndpointInput(
            $"local-{Guid.NewGuid():N}"[..20], ModelEndpointKind.LocalCheckpoint, CheckpointPath: folder ?? checkpoint.Folder,
            Device: device, MaxNewTokens: MaxNewTokens, Temperature: 0), Ct);
        Assert.Empty(errors);
        return endpoint!;
    }

    [Fact]
    public async Task SynthesisRun_LocalCheckpoint_StoresSamplesAndCallsTheModelReallyGenerated()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await AddLocalAsync(host);
        var runs = host.Get<SynthesisRunService>();
        // The run asks for temperature 0.7; the endpoint's temperature 0 wins, so decoding is greedy.
        var (run, errors) = await runs.CreateAsync(new NewSynthesisRun("local", HandMadeCorpusRetriever.CorpusId, endpoint.Id, 2, 5, SmallSettings), Ct);
        Assert.Empty(errors);
        Assert.True(await runs.StartAsync(run!.Id, Ct));

        await host.RunQueuedAsync(Ct);

        await using var db = host.Database.CreateDbContext();
        var samples = await db.SynthesisSamples.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(Ct);
        var calls = await db.LlmCalls.AsNoTracking().Where(c => c.EndpointId == endpoint.Id).ToListAsync(Ct);
        Assert.Equal(2, samples.Count);
        Assert.All(samples, s => Assert.True(s.Status == SampleStatus.Completed, s.Error));
        Assert.Contains("local checkpoint", (await db.SynthesisRuns.SingleAsync(r => r.Id == run.Id, Ct)).GeneratorLabel);
        Assert.True(calls.Count >= 2 * 3, $"{calls.Count} calls");
        // The checkpoint reads bytes, so its chunks are cut at 256 bytes, not 256 cl100k tokens.
        var chunks = samples.SelectMany(s => JsonDocument.Parse(s.SummaryTreeJson!).RootElement[0].EnumerateArray()).ToList();
        Assert.All(chunks, c => Assert.InRange(c.GetProperty("TokenCount").GetInt32(), 1, 256));
        Assert.All(chunks, c => Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(c.GetProperty("Text").GetString()!), c.GetProperty("TokenCount").GetInt32()));

        // Every stored answer is what the checkpoint, loaded on its own here, generates greedily for that request.
        using var direct = LocalCheckpoint.Load(checkpoint.Folder, torch.CPU);
        foreach (var call in calls)
        {
            var request = JsonDocument.Parse(call.RequestJson).RootElement;
            var turns = request.GetProperty("messages").EnumerateArray()
                .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
            var maxTokens = Math.Min(request.GetProperty("max_tokens").GetInt32(), MaxNewTokens);
            var expected = LocalCheckpointChatClient.StorableText(direct.GenerateChat(turns, maxTokens, temperature: 0, ct: Ct));
            Assert.Equal(expected, call.ResponseText);
            Assert.True(call.CompletionTokens is > 0 and <= MaxNewTokens, $"{call.CompletionTokens} completion tokens");
        }
        var answers = calls.Select(c => c.ResponseText.Trim()).ToHashSet();
        Assert.All(samples, s => Assert.Contains(s.Response, answers));

        // The same run again is answered entirely from the cache, with the same samples.
        var (again, _) = await runs.CreateAsync(new NewSynthesisRun("local again", HandMadeCorpusRetriever.CorpusId, endpoint.Id, 2, 5, SmallSettings), Ct);
        Assert.True(await runs.StartAsync(again!.Id, Ct));
        await host.RunQueuedAsync(Ct);
        var rerun = await db.SynthesisRuns.AsNoTracking().SingleAsync(r => r.Id == again.Id, Ct);
        var rerunSamples = await db.SynthesisSamples.AsNoTracking().Where(s => s.RunId == again.Id).OrderBy(s => s.Index).ToListAsync(Ct);
        // The run counts calls the model made; this time it made none.
        Assert.Equal(0, rerun.LlmCalls);
        Assert.Equal(samples.Sum(s => s.LlmCalls), rerun.CacheHits);
        Assert.All(rerunSamples, s => Assert.Equal(s.LlmCalls, s.CacheHits));
        Assert.Equal(samples.Select(s => s.Response), rerunSamples.Select(s => s.Response));
        Assert.Equal(calls.Count, await db.LlmCalls.CountAsync(c => c.EndpointId == endpoint.Id, Ct));
    }

    [Fact]
    public async Task CreateAsync_LocalCheckpoint_TakesWindowFromConfigAndOneCallAtATime()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await AddLocalAsync(host, checkpoint.Folder + Path.DirectorySeparatorChar);

        Assert.Equal(4096, endpoint.ContextWindow);
        Assert.Equal(1, endpoint.MaxConcurrency);
        Assert.Equal(checkpoint.Folder, endpoint.CheckpointPath);
        Assert.Equal(Path.GetFileName(checkpoint.Folder), endpoint.Model);
        Assert.Null(endpoint.ProtectedApiKey);
    }

    [Fact]
    public async Task CreateAsync_BadLocalSettings_SayWhatIsWrong()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoints = host.Get<ModelEndpointService>();
        var empty = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "empty")).FullName;
        var configOnly = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "config-only")).FullName;
        File.Copy(Path.Combine(checkpoint.Folder, CheckpointFolder.ConfigFile), Path.Combine(configOnly, CheckpointFolder.ConfigFile));
        var noTokenizer = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "no-tokenizer")).FullName;
        foreach (var file in new[] { CheckpointFolder.ConfigFile, CheckpointFolder.WeightsFile })
            File.Copy(Path.Combine(checkpoint.Folder, file), Path.Combine(noTokenizer, file));
        var missing = Path.Combine(checkpoint.Folder, "nope");

        async Task<Dictionary<string, string[]>> ErrorsFor(ModelEndpointInput input)
        {
            var (created, errors) = await endpoints.CreateAsync(input, Ct);
            Assert.Null(created);
            return errors;
        }
        var local = new ModelEndpointInput("bad", ModelEndpointKind.LocalCheckpoint);

        Assert.Contains("Enter the checkpoint folder", (await ErrorsFor(local))["checkpointPath"][0]);
        Assert.Equal(ServerPaths.Refusal(ServerPathKind.Folder), (await ErrorsFor(local with { CheckpointPath = missing }))["checkpointPath"][0]);
        Assert.Contains("is not a checkpoint: it has no config.json", (await ErrorsFor(local with { CheckpointPath = empty }))["checkpointPath"][0]);
        Assert.Contains("it has no model.safetensors", (await ErrorsFor(local with { CheckpointPath = configOnly }))["checkpointPath"][0]);
        Assert.Contains("has no tokenizer", (await ErrorsFor(local with { CheckpointPath = noTokenizer }))["checkpointPath"][0]);
        var settings = await ErrorsFor(local with { CheckpointPath = checkpoint.Folder, Device = "tpu", MaxNewTokens = 0, Temperature = -1, MaxConcurrency = 0 });
        Assert.Equal(["device", "maxConcurrency", "maxNewTokens", "temperature"], settings.Keys.Order());
        Assert.Contains("no training checkpoint #987654", (await ErrorsFor(local with { TrainingCheckpointId = 987654 }))["trainingCheckpointId"][0]);

        // A run cannot start on an endpoint whose folder has gone since it was added.
        var moved = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "moved")).FullName;
        foreach (var file in Directory.GetFiles(checkpoint.Folder)) File.Copy(file, Path.Combine(moved, Path.GetFileName(file)));
        var endpoint = await AddLocalAsync(host, moved);
        Directory.Delete(moved, recursive: true);
        var (run, runErrors) = await host.Get<SynthesisRunService>().CreateAsync(
            new NewSynthesisRun("r", HandMadeCorpusRetriever.CorpusId, endpoint.Id, 1, Settings: SmallSettings), Ct);
        Assert.Null(run);
        Assert.Contains($"The folder {moved} does not exist.", runErrors["endpointId"][0]);
    }

    [Fact]
    public async Task CreateAsync_TrainingCheckpointPicked_UsesItsFolder()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        long checkpointId;
        await using (var db = host.Database.CreateDbContext())
        {
            var training = new TrainingRun { Name = "tiny run", SpecJson = "{}", OutputDirectory = Path.GetDirectoryName(checkpoint.Folder)! };
            training.Checkpoints.Add(new TrainingCheckpoint { Path = checkpoint.Folder, GlobalStep = 40, Stage = 0, StageEnd = true, RopeTheta = 10_000, MaxLength = 4096 });
            db.TrainingRuns.Add(training);
            await db.SaveChangesAsync(Ct);
            checkpointId = training.Checkpoints[0].Id;
        }
        var endpoints = host.Get<ModelEndpointService>();

        var choices = await endpoints.TrainingCheckpointsAsync(Ct);
        var (endpoint, errors) = await endpoints.CreateAsync(
            new ModelEndpointInput("picked", ModelEndpointKind.LocalCheckpoint, TrainingCheckpointId: checkpointId), Ct);

        var choice = Assert.Single(choices);
        Assert.Equal("tiny run, stage 1, step 40", choice.Label);
        Assert.Empty(errors);
        Assert.Equal(checkpoint.Folder, endpoint!.CheckpointPath);
        Assert.Equal("cpu", endpoint.Device);
        Assert.Equal(LocalCheckpointSettings.DefaultMaxNewTokens, endpoint.MaxNewTokens);
        Assert.Equal(0, endpoint.Temperature);
    }

    [Fact]
    public async Task TestAsync_LocalCheckpoint_LoadsOnceAndGeneratesAFewTokens()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoints = host.Get<ModelEndpointService>();
        var endpoint = await AddLocalAsync(host);
        var pool = host.Get<LocalCheckpointPool>();
        var settings = LocalCheckpointSettings.For(endpoint);
        Assert.False(pool.IsLoaded(settings));

        var result = await endpoints.TestAsync(endpoint, Ct);

        Assert.True(result.Ok, result.Message);
        using var direct = LocalCheckpoint.Load(checkpoint.Folder, torch.CPU);
        var generation = direct.GenerateChatWithUsage([new ChatMessage("user", "Reply with OK.")], ModelEndpointService.TestTokens, ct: Ct);
        Assert.StartsWith($"Loaded {endpoint.Model} on cpu and generated {generation.CompletionTokens} token(s) in ", result.Message);
        Assert.Contains(LocalCheckpointChatClient.StorableText(generation.Text), result.Message);
        Assert.True(pool.IsLoaded(settings));
        Assert.Same(await pool.GetAsync(endpoint.Name, settings, Ct), await pool.GetAsync(endpoint.Name, settings, Ct));
    }

    [Fact]
    public async Task CheckpointOverwrittenInPlace_IsLoadedAgainAndNotAnsweredFromTheOldCache()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var folder = Directory.CreateTempSubdirectory("selflong-overwritten-").FullName;
        try
        {
            TinyCheckpoint.Save(folder, 4096, seed: 7, layers: 1);
            var endpoint = await AddLocalAsync(host, folder);
            var settings = LocalCheckpointSettings.For(endpoint);
            var pool = host.Get<LocalCheckpointPool>();
            var llm = host.Get<LlmClient>();
            var ask = new LlmRequest([LlmMessage.User("Name a whaling port.")], 8, 0);
            var before = await llm.CompleteAsync(endpoint, ask, Ct);
            var oldModel = await pool.GetAsync(endpoint.Name, settings, Ct);

            // Other weights written over the same files, as a training run saving again would.
            TinyCheckpoint.Save(folder, 4096, seed: 8, layers: 1);
            File.SetLastWriteTimeUtc(Path.Combine(folder, CheckpointFolder.WeightsFile), DateTime.UtcNow.AddMinutes(1));
            var after = await llm.CompleteAsync(endpoint, ask, Ct);

            Assert.False(before.Cached);
            Assert.False(after.Cached);
            Assert.NotSame(oldModel, await pool.GetAsync(endpoint.Name, settings, Ct));
            using var direct = LocalCheckpoint.Load(folder, torch.CPU);
            Assert.Equal(LocalCheckpointChatClient.StorableText(direct.GenerateChat([new ChatMessage("user", "Name a whaling port.")], 8, temperature: 0, ct: Ct)),
                after.Text);
            await using var db = host.Database.CreateDbContext();
            Assert.Equal(2, await db.LlmCalls.CountAsync(c => c.EndpointId == endpoint.Id, Ct));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TestAsync_FolderGoneOrNoCuda_ReportsWhy()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoints = host.Get<ModelEndpointService>();
        var moved = Directory.CreateDirectory(Path.Combine(checkpoint.Folder, "moved")).FullName;
        foreach (var file in Directory.GetFiles(checkpoint.Folder)) File.Copy(file, Path.Combine(moved, Path.GetFileName(file)));
        var gone = await AddLocalAsync(host, moved);
        Directory.Delete(moved, recursive: true);
        var onCuda = await AddLocalAsync(host, device: "cuda");

        var goneResult = await endpoints.TestAsync(gone, Ct);
        var cudaResult = await endpoints.TestAsync(onCuda, Ct);

        Assert.False(goneResult.Ok);
        Assert.Contains($"cannot load its checkpoint: The folder {moved} does not exist.", goneResult.Message);
        if (torch.cuda.is_available())
        {
            Assert.True(cudaResult.Ok, cudaResult.Message);
            Assert.Contains("on cuda", cudaResult.Message);
        }
        else
        {
            Assert.False(cudaResult.Ok);
            Assert.Contains("sees no CUDA device", cudaResult.Message);
        }
    }

    [Fact]
    public async Task ListAsync_EndpointsInConfiguration_CreatedOnceAndInvalidOnesSkipped()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var name = $"configured-{Guid.NewGuid():N}"[..24];
        List<ConfiguredEndpoint> configured =
        [
            new() { Name = name, Kind = ModelEndpointKind.LocalCheckpoint, CheckpointPath = checkpoint.Folder, MaxNewTokens = 32, Temperature = 0.5 },
            new() { Name = "configured-broken", Kind = ModelEndpointKind.LocalCheckpoint, CheckpointPath = Path.Combine(checkpoint.Folder, "nope") },
        ];
        var service = new ModelEndpointService(host.Database, host.Get<EndpointSecrets>(), host.Get<ChatClientFactory>(),
            Options.Create(configured), NullLogger<ModelEndpointService>.Instance, SelfLong.Jobs.Storage.ServerPaths.Under(Path.GetTempPath()));

        var first = await service.ListAsync(Ct);
        var second = await service.ListAsync(Ct);

        var endpoint = Assert.Single(first, e => e.Name == name);
        Assert.Equal((4096, 32, 0.5), (endpoint.ContextWindow, endpoint.MaxNewTokens!.Value, endpoint.Temperature!.Value));
        Assert.DoesNotContain(first, e => e.Name == "configured-broken");
        Assert.Equal(first.Select(e => e.Id), second.Select(e => e.Id));
    }

    public void Dispose() => checkpoint.Dispose();
}

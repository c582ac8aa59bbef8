using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Endpoints;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Endpoints.Local;
using SelfLong.Tests.Corpora;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Synthesis;

/// <summary>
/// `./selflong synthesize` run as the built command line against a test database with a really
/// ingested corpus: the runs and samples it leaves in the database, and its answers to bad input.
/// </summary>
[NeedsDatabase]
public sealed class SynthesizeCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Small lengths for the hand-made documents; no long-output samples (those need 2k-token documents).</summary>
    private static string[] Small(string corpus, string endpoint, int samples) =>
    [
        "synthesize", "--corpus", corpus, "--endpoint", endpoint, "--samples", samples.ToString(), "--in-process",
        "--min-tokens", "400", "--max-tokens", "900", "--top-k", "4", "--chunk-tokens", "1024", "--long-output", "0", "--seed", "7",
    ];

    private static async Task<(long Id, string Name, HashSet<long> DocumentIds)> IngestHandMadeAsync(CorporaHarness harness)
    {
        var name = $"sea {Guid.NewGuid():N}"[..16];
        var corpusId = await harness.CreateCorpusAsync(new SelfLong.Jobs.Corpora.CorpusSettings { Name = name });
        var lines = string.Join("\n", new HandMadeCorpusRetriever().Documents.Select(d => JsonSerializer.Serialize(new { title = d.Title, text = d.Text })));
        await harness.IngestAsync(corpusId, ("handmade.jsonl", Encoding.UTF8.GetBytes(lines)));
        var documents = await harness.DocumentsAsync(corpusId);
        Assert.Equal(10, documents.Count);
        return (corpusId, name, documents.Select(d => d.Id).ToHashSet());
    }

    private static async Task<ModelEndpoint> AddChatEndpointAsync(CorporaHarness harness, OpenAiTestServer server)
    {
        var secrets = new EndpointSecrets(harness.Protection);
        var endpoints = new ModelEndpointService(harness.Database, secrets, new ChatClientFactory(secrets, new LocalCheckpointPool()),
            Microsoft.Extensions.Options.Options.Create(new List<ConfiguredEndpoint>()), Microsoft.Extensions.Logging.Abstractions.NullLogger<ModelEndpointService>.Instance,
            SelfLong.Jobs.Storage.ServerPaths.Under(Path.GetTempPath()));
        var (endpoint, errors) = await endpoints.CreateAsync(new ModelEndpointInput(
            $"chat-{Guid.NewGuid():N}"[..20], ModelEndpointKind.OpenAiCompatible, server.V1, "test-model", null, 8192, 3, 30), Ct);
        Assert.Empty(errors);
        return endpoint!;
    }

    private static async Task<(SynthesisRun Run, List<Sample> Samples)> OnlyRunAsync(CorporaHarness harness)
    {
        await using var db = harness.Database.CreateDbContext();
        var run = await db.SynthesisRuns.AsNoTracking().SingleAsync(Ct);
        var samples = await db.SynthesisSamples.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(Ct);
        return (run, samples);
    }

    [Fact]
    public async Task Synthesize_ChatEndpoint_StoresRunWithNSamplesFromTheCorpus()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await IngestHandMadeAsync(harness);
        var endpoint = await AddChatEndpointAsync(harness, server);

        var result = await CliProcess.RunAsync(harness.Database.ConnectionString, Limit, Small(corpus.Name, endpoint.Name, 3));

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}");
        var (run, samples) = await OnlyRunAsync(harness);
        using (var printed = System.Text.Json.JsonDocument.Parse(result.Output))
        {
            Assert.Equal(run.Id, printed.RootElement.GetProperty("run").GetInt64());
            Assert.Equal("Succeeded", printed.RootElement.GetProperty("status").GetString());
        }
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(corpus.Id, run.CorpusId);
        Assert.Equal(endpoint.Id, run.EndpointId);
        Assert.False(run.IsExtractive);
        Assert.Equal(3, run.SampleCount);
        Assert.Equal(7, run.Seed);
        Assert.Equal([0, 1, 2], samples.Select(s => s.Index));
        Assert.All(samples, s =>
        {
            Assert.Equal(SampleStatus.Completed, s.Status);
            Assert.Equal(SampleKind.LongInput, s.Kind);
            Assert.InRange(s.TargetLength, 400, 900);
            // The instruction, summaries and response are the server's answers; the documents are the corpus's.
            Assert.StartsWith("Answer ", s.Instruction);
            Assert.StartsWith("Answer ", s.Response);
            Assert.EndsWith(s.Instruction, s.Input);
            var retrieved = JsonDocument.Parse(s.RetrievedJson).RootElement.EnumerateArray().ToList();
            Assert.NotEmpty(retrieved);
            Assert.All(retrieved, r => Assert.Contains(r.GetProperty("DocumentId").GetInt64(), corpus.DocumentIds));
        });
        // Every model call went to the test server once and is cached in the database.
        Assert.Equal(samples.Sum(s => s.LlmCalls), server.RequestCount);
        Assert.Equal(server.RequestCount, run.LlmCalls);
        await using var db = harness.Database.CreateDbContext();
        Assert.Equal(server.RequestCount, await db.LlmCalls.CountAsync(c => c.EndpointId == endpoint.Id, Ct));
    }

    [Fact]
    public async Task Synthesize_ExtractiveGenerator_StoresRunWithNSamplesAndNoModelCalls()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await IngestHandMadeAsync(harness);

        var result = await CliProcess.RunAsync(harness.Database.ConnectionString, Limit, [.. Small(corpus.Name, "extractive", 4), "--tokenizer", "bytes"]);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}");
        var (run, samples) = await OnlyRunAsync(harness);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(run.IsExtractive);
        Assert.Equal("bytes", run.Tokenizer);
        Assert.Equal(0, run.LlmCalls);
        Assert.Equal([0, 1, 2, 3], samples.Select(s => s.Index));
        Assert.All(samples, s =>
        {
            Assert.Equal(SampleStatus.Completed, s.Status);
            Assert.False(string.IsNullOrWhiteSpace(s.Instruction));
            Assert.False(string.IsNullOrWhiteSpace(s.Response));
            Assert.True(s.InputTokens >= 400, $"sample {s.Index} has {s.InputTokens} input tokens");
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(s.Input!), s.InputTokens);
            var retrieved = JsonDocument.Parse(s.RetrievedJson).RootElement.EnumerateArray().ToList();
            Assert.All(retrieved, r => Assert.Contains(r.GetProperty("DocumentId").GetInt64(), corpus.DocumentIds));
        });
        using (var printed = System.Text.Json.JsonDocument.Parse(result.Output))
        {
            Assert.Equal(4, printed.RootElement.GetProperty("completed").GetInt32());
            Assert.Equal(0, printed.RootElement.GetProperty("failed").GetInt32());
        }
    }

    [Fact]
    public async Task Synthesize_UnknownCorpusEndpointOrSampleCount_ExitsNonZeroWithMessageAndNoRun()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await IngestHandMadeAsync(harness);

        var noCorpus = await CliProcess.RunAsync(harness.Database.ConnectionString, Limit, Small("no such corpus", "extractive", 2));
        var noEndpoint = await CliProcess.RunAsync(harness.Database.ConnectionString, Limit, Small(corpus.Name, "no-such-endpoint", 2));
        var zero = await CliProcess.RunAsync(harness.Database.ConnectionString, Limit, Small(corpus.Name, "extractive", 0));
        var negative = await CliProcess.RunAsync(harness.Database.ConnectionString, Limit, Small(corpus.Name, "extractive", -3));
        var noTokenizer = await CliProcess.RunAsync(harness.Database.ConnectionString, Limit, [.. Small(corpus.Name, "extractive", 2), "--tokenizer", "/no/such/model"]);

        Assert.NotEqual(0, noCorpus.ExitCode);
        Assert.Contains("No corpus named 'no such corpus'", noCorpus.Error);
        Assert.NotEqual(0, noEndpoint.ExitCode);
        Assert.Contains("No model endpoint named 'no-such-endpoint'", noEndpoint.Error);
        foreach (var bad in new[] { zero, negative })
        {
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("--samples", bad.Error);
            Assert.Contains("between 1 and", bad.Error);
        }
        Assert.NotEqual(0, noTokenizer.ExitCode);
        Assert.Contains("--tokenizer: " + SelfLong.Jobs.Storage.ServerPaths.Refusal(SelfLong.Jobs.Storage.ServerPathKind.Folder), noTokenizer.Error);
        await using var db = harness.Database.CreateDbContext();
        Assert.False(await db.SynthesisRuns.AnyAsync(Ct));
    }
}

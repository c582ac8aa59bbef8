using System.Text.Json;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Synthesis;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

/// <summary>Exports name the generator by endpoint name and model; its URL and folders only when asked for.</summary>
[NeedsDatabase]
public sealed class SynthesisExportProvenanceTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string tokenizer = Directory.CreateTempSubdirectory("selflong-export-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(tokenizer, recursive: true);

    [Fact]
    public async Task Exports_ChatRun_NameEndpointAndModelWithoutUrlOrFolder()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.AddChatEndpointAsync(server);
        ByteTokenizer.WriteMarker(tokenizer);
        var settings = new SynthesisSettings
        {
            MinTargetTokens = 2_000, MaxTargetTokens = 4_000, TopK = 4, ChunkTokens = 256, SummaryTokens = 64, ResponseTokens = 64,
            LongOutputFraction = 0, TargetTokenizer = tokenizer,
        };
        var (run, errors) = await host.Get<SynthesisRunService>().CreateAsync(
            new NewSynthesisRun("provenance", HandMadeCorpusRetriever.CorpusId, endpoint.Id, 2, 5, settings), Ct);
        Assert.Empty(errors);
        Assert.True(await host.Get<SynthesisRunService>().StartAsync(run!.Id, Ct));
        await host.RunQueuedAsync(Ct);
        var exporter = host.Get<SynthesisExporter>();

        var (jsonl, card) = await ExportAsync(exporter, run.Id, withLocations: false);
        var (fullJsonl, fullCard) = await ExportAsync(exporter, run.Id, withLocations: true);

        var lines = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Equal($"{endpoint.Name}: test-model", JsonDocument.Parse(l).RootElement.GetProperty("generator").GetString()));
        Assert.Contains($"Generator: {endpoint.Name}: test-model", card);
        foreach (var text in new[] { jsonl, card })
        {
            Assert.DoesNotContain(server.BaseAddress.Authority, text);
            Assert.DoesNotContain(tokenizer, text);
        }
        Assert.Contains($"{endpoint.Name}: test-model at {server.V1}", fullJsonl);
        Assert.Contains(server.V1, fullCard);
        Assert.Contains(JsonSerializer.Serialize(tokenizer), fullCard);
    }

    [Theory]
    [InlineData("llama at http://10.0.0.5:8000/v1", "llama")]
    [InlineData("local checkpoint run-3 at /srv/runs/run-3/checkpoints/stage-1 (cpu, temperature 0)", "local checkpoint run-3 (cpu, temperature 0)")]
    [InlineData("extractive (built-in, no model)", "extractive (built-in, no model)")]
    public void WithoutLocation_LabelsStoredBeforeNamesOnly_DropUrlOrFolder(string stored, string exported) =>
        Assert.Equal(exported, SynthesisModelFactory.WithoutLocation(stored));

    private static async Task<(string Jsonl, string Card)> ExportAsync(SynthesisExporter exporter, long runId, bool withLocations)
    {
        using var stream = new MemoryStream();
        await exporter.WriteJsonlAsync(runId, stream, Ct, withLocations);
        return (System.Text.Encoding.UTF8.GetString(stream.ToArray()), await exporter.DatasetCardAsync(runId, Ct, withLocations));
    }
}

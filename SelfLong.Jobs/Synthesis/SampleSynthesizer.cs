using System.Text.Json;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>What is fixed for every sample of one run; <paramref name="Tokens"/> is the target tokenizer.</summary>
public sealed record SynthesisContext(long CorpusId, int Seed, SynthesisSettings Settings, ISynthesisModel Model, ITokenCounter Tokens);

/// <summary>
/// Makes sample <c>index</c> of a run: pure given (run seed, index) apart from the model's answers,
/// which the call cache makes repeatable, so a retried sample is the same sample.
/// </summary>
public sealed class SampleSynthesizer(
    ICorpusRetriever retriever, InstructionGenerator instructions, RelevantDocumentRetriever documents,
    ResponseGenerator responses)
{
    /// <summary>Random chunks tried before giving up on finding a document of long-output length.</summary>
    public const int LongOutputTries = 32;

    public static Random RandomFor(int seed, int index) => new(unchecked(seed * 1_000_003 + index * 7919 + 17));

    public async Task<Sample> SynthesizeAsync(SynthesisContext context, int index, CancellationToken ct)
    {
        var random = RandomFor(context.Seed, index);
        var longOutput = random.NextDouble() < context.Settings.LongOutputFraction;
        return longOutput
            ? await LongOutputAsync(context, index, random, ct)
            : await LongInputAsync(context, index, random, ct);
    }

    private async Task<Sample> LongInputAsync(SynthesisContext context, int index, Random random, CancellationToken ct)
    {
        var settings = context.Settings;
        var targetLength = DrawTargetLength(settings, random);
        var instruction = await instructions.GenerateAsync(context.Model, context.CorpusId, settings, random, ct);
        var retrieved = await documents.RetrieveAsync(context.CorpusId, instruction.Instruction, targetLength, settings.TopK, context.Tokens, ct);
        if (retrieved.Count == 0) throw new InvalidOperationException($"The retriever found no documents for: {instruction.Instruction}");
        var summarizing = new RecursiveSummarizer(context.Model.Tokens).SummarizeAsync(context.Model, instruction.Instruction, retrieved, settings, ct);
        // The input needs no answer from the model: assembling and counting it (a 128k-token input
        // takes tens of milliseconds) happens while the summary calls are in flight, not after them.
        var input = SampleAssembler.AssembleInput(instruction.Instruction, retrieved, settings, random);
        var inputTokens = context.Tokens.CountTokens(input);
        var tree = await summarizing;
        var response = await responses.GenerateAsync(context.Model, instruction.Instruction, tree, settings, ct);
        return new Sample
        {
            Index = index, Kind = SampleKind.LongInput, Status = SampleStatus.Completed,
            InstructionType = instruction.Type, TargetLength = targetLength,
            SeedChunkId = instruction.SeedChunk.ChunkId, SeedChunkText = instruction.SeedChunk.Text,
            Instruction = instruction.Instruction,
            RetrievedJson = JsonSerializer.Serialize(retrieved.Select(r =>
                new RetrievedDocumentStep(r.Document.DocumentId, r.Document.Title, r.Score, r.Document.TokenCount, r.Rank))),
            SummaryTreeJson = JsonSerializer.Serialize(tree.Levels),
            Response = response, Input = input, Target = response,
            InputTokens = inputTokens, TargetTokens = context.Tokens.CountTokens(response),
        };
    }

    /// <summary>Back-translation (PAPER.md, "long output"): a 2k-32k-token document becomes the response.</summary>
    private async Task<Sample> LongOutputAsync(SynthesisContext context, int index, Random random, CancellationToken ct)
    {
        var settings = context.Settings;
        for (var attempt = 0; attempt < LongOutputTries; attempt++)
        {
            var chunk = await retriever.RandomChunkAsync(context.CorpusId, random, ct)
                ?? throw new InvalidOperationException($"Corpus {context.CorpusId} has no chunks. Ingest documents first.");
            var found = await retriever.GetDocumentAsync(chunk.DocumentId, ct);
            if (found is null) continue;
            var document = found with { TokenCount = TokenCounters.LengthOf(found, context.Tokens) };
            if (document.TokenCount < settings.LongOutputMinTokens || document.TokenCount > settings.LongOutputMaxTokens) continue;

            var written = InstructionGenerator.Clean(await context.Model.BackTranslateAsync(document.Text, ct));
            var words = document.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            var instruction = SampleAssembler.WithLengthHint(written, words);
            return new Sample
            {
                Index = index, Kind = SampleKind.LongOutput, Status = SampleStatus.Completed,
                InstructionType = "long output", TargetLength = document.TokenCount,
                SeedChunkId = chunk.ChunkId, SeedChunkText = chunk.Text, Instruction = instruction,
                RetrievedJson = JsonSerializer.Serialize(new[] { new RetrievedDocumentStep(document.DocumentId, document.Title, 1, document.TokenCount, 1) }),
                Response = document.Text, Input = instruction, Target = document.Text,
                InputTokens = context.Tokens.CountTokens(instruction), TargetTokens = context.Tokens.CountTokens(document.Text),
            };
        }
        throw new InvalidOperationException(
            $"No document of {settings.LongOutputMinTokens}-{settings.LongOutputMaxTokens} tokens found in {LongOutputTries} random draws; " +
            "lower the long-output share or change the long-output length range.");
    }

    /// <summary>Log-uniform between the run's bounds: as many 8k-16k samples as 64k-128k ones.</summary>
    public static int DrawTargetLength(SynthesisSettings settings, Random random)
    {
        var (lo, hi) = (Math.Log(settings.MinTargetTokens), Math.Log(settings.MaxTargetTokens));
        return (int)Math.Round(Math.Exp(lo + random.NextDouble() * (hi - lo)));
    }
}

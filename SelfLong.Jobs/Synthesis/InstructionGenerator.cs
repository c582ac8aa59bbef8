using SelfLong.Jobs.Corpora.Retrieval;

namespace SelfLong.Jobs.Synthesis;

public sealed record GeneratedInstruction(string Type, RetrievedChunk SeedChunk, string Instruction);

/// <summary>
/// Step 1 (PAPER.md): the model writes an instruction that needs several documents; a random chunk
/// of the collection goes in front of every prompt for diversity, and the instruction type is
/// drawn from the run's mix.
/// </summary>
public sealed class InstructionGenerator(ICorpusRetriever retriever)
{
    public async Task<GeneratedInstruction> GenerateAsync(
        ISynthesisModel model, long corpusId, SynthesisSettings settings, Random random, CancellationToken ct)
    {
        var type = DrawType(settings.InstructionMix, random);
        var seed = await retriever.RandomChunkAsync(corpusId, random, ct)
            ?? throw new InvalidOperationException($"Corpus {corpusId} has no chunks to seed instructions from. Ingest documents first.");
        var text = await model.WriteInstructionAsync(seed.Text, type, ct);
        return new GeneratedInstruction(type, seed, Clean(text));
    }

    public static string DrawType(IReadOnlyDictionary<string, double> mix, Random random)
    {
        var ordered = mix.Where(p => p.Value > 0).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var x = random.NextDouble() * ordered.Sum(p => p.Value);
        foreach (var (type, weight) in ordered)
        {
            if ((x -= weight) < 0) return type;
        }
        return ordered[^1].Key;
    }

    /// <summary>Models often add "Instruction:" or quotes around what was asked for; keep the instruction only.</summary>
    public static string Clean(string text)
    {
        var trimmed = text.Trim();
        foreach (var prefix in new[] { "Instruction:", "**Instruction:**", "Instruction -" })
        {
            if (trimmed.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) trimmed = trimmed[prefix.Length..].Trim();
        }
        if (trimmed.Length > 1 && trimmed[0] == '"' && trimmed[^1] == '"') trimmed = trimmed[1..^1].Trim();
        return trimmed;
    }
}

using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>The whole summary tree: level 0 are the chunks, the last level the final summaries.</summary>
public sealed record SummaryTree(IReadOnlyList<IReadOnlyList<SummaryNode>> Levels)
{
    /// <summary>Summary levels above the chunks.</summary>
    public int Depth => Levels.Count - 1;
}

/// <summary>
/// Step 3 (PAPER.md): documents are cut into chunks of at most ChunkTokens; each chunk is summarized
/// with respect to the instruction; the summaries are grouped (consecutive, up to ChunkTokens
/// together, at least two) and summarized again, level by level, until all of the top level fits
/// the model's window beside the instruction and the response. Every level is kept.
/// </summary>
public sealed class RecursiveSummarizer(ITokenCounter tokens)
{
    /// <summary>Room for the prompt's own words around the summaries.</summary>
    public const int PromptOverheadTokens = 256;

    /// <summary>Chunk previews kept in the tree; the chunk's full text is in the sample's input.</summary>
    public const int PreviewChars = 300;

    public int Budget(ISynthesisModel model, string instruction, SynthesisSettings settings) =>
        model.ContextWindow - settings.ResponseTokens - tokens.CountTokens(instruction) - PromptOverheadTokens;

    public async Task<SummaryTree> SummarizeAsync(ISynthesisModel model, string instruction,
        IReadOnlyList<RetrievedDocument> documents, SynthesisSettings settings, CancellationToken ct)
    {
        var budget = Budget(model, instruction, settings);
        if (budget < settings.SummaryTokens)
        {
            throw new InvalidOperationException(
                $"The model's window of {model.ContextWindow} tokens leaves {budget} for summaries after the instruction and a " +
                $"{settings.ResponseTokens}-token response; lower the response or summary length, or use a model with a larger window.");
        }

        // Each chunk's call goes out as soon as the chunk is cut: cutting a 128k-token sample takes
        // tens of milliseconds, and the endpoint's slots should not wait for the last cut to get the first.
        var chunks = new List<SummaryNode>();
        var firstLevel = new List<Task<SummaryNode>>();
        foreach (var document in documents)
        {
            foreach (var (text, count) in ChunkCounted(document.Document.Text, settings.ChunkTokens))
            {
                var position = chunks.Count;
                chunks.Add(new SummaryNode(0, position, Preview(text), count, [], document.Document.DocumentId));
                firstLevel.Add(SummarizeGroupAsync(model, instruction, 1, position, [text], [position], settings, ct));
            }
        }
        var levels = new List<IReadOnlyList<SummaryNode>> { chunks };
        var nodes = await Task.WhenAll(firstLevel);
        while (true)
        {
            levels.Add(nodes);
            if (nodes.Sum(n => n.TokenCount) <= budget || nodes.Length == 1) break;
            var level = levels.Count;
            nodes = await Task.WhenAll(Group(nodes, settings.ChunkTokens).Select((group, position) =>
                SummarizeGroupAsync(model, instruction, level, position, group.texts, group.children, settings, ct)));
        }
        return new SummaryTree(levels);
    }

    private async Task<SummaryNode> SummarizeGroupAsync(ISynthesisModel model, string instruction, int level, int position,
        IReadOnlyList<string> texts, IReadOnlyList<int> children, SynthesisSettings settings, CancellationToken ct)
    {
        // A lone summary carried up from the level below needs no second call.
        var (text, count) = level > 1 && texts.Count == 1
            ? (texts[0], tokens.CountTokens(texts[0]))
            : await SummarizeOneAsync(model, instruction, string.Join("\n\n", texts), settings.SummaryTokens, ct);
        return new SummaryNode(level, position, text, count, children);
    }

    /// <summary>Consecutive summaries whose joint length stays within the chunk size, at least two per group.</summary>
    public static List<(IReadOnlyList<string> texts, IReadOnlyList<int> children)> Group(IReadOnlyList<SummaryNode> nodes, int chunkTokens)
    {
        var groups = new List<(IReadOnlyList<string>, IReadOnlyList<int>)>();
        var texts = new List<string>();
        var children = new List<int>();
        var size = 0;
        foreach (var node in nodes)
        {
            if (texts.Count >= 2 && size + node.TokenCount > chunkTokens)
            {
                groups.Add((texts, children));
                (texts, children, size) = ([], [], 0);
            }
            texts.Add(node.Text);
            children.Add(node.Position);
            size += node.TokenCount;
        }
        if (texts.Count > 0) groups.Add((texts, children));
        return groups;
    }

    /// <summary>Pieces of at most <paramref name="chunkTokens"/> tokens, cut where the tokenizer allows.</summary>
    public IEnumerable<string> Chunk(string text, int chunkTokens) => ChunkCounted(text, chunkTokens).Select(c => c.Text);

    /// <summary>The chunks with their token counts, counted as they are cut (a 128k-token sample is tokenized once here, not twice).</summary>
    private IEnumerable<(string Text, int Tokens)> ChunkCounted(string text, int chunkTokens)
    {
        var rest = text;
        while (rest.Length > 0)
        {
            var (piece, count) = tokens.TruncateCounted(rest, chunkTokens);
            if (piece.Length == 0) (piece, count) = (rest[..1], tokens.CountTokens(rest[..1]));
            yield return (piece, count);
            rest = rest[piece.Length..];
        }
    }

    private async Task<(string Text, int Tokens)> SummarizeOneAsync(ISynthesisModel model, string instruction, string text, int summaryTokens, CancellationToken ct)
    {
        var summary = (await model.SummarizeAsync(instruction, text, summaryTokens, ct)).Trim();
        // Servers may ignore max_tokens; a summary over the limit could stop the tree from shrinking.
        var count = tokens.CountTokens(summary);
        return count > summaryTokens ? tokens.TruncateCounted(summary, summaryTokens) : (summary, count);
    }

    private static string Preview(string text) => text.Length <= PreviewChars ? text : text[..PreviewChars] + "…";
}

using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

public sealed record RetrievedDocument(CorpusDocument Document, double Score, int Rank);

/// <summary>
/// Step 2 (PAPER.md): the instruction is the query; whole documents are added in the retriever's
/// order until the sample reaches its target length. The paper does not publish how many; here the
/// target length decides (in the target tokenizer's tokens), and the search widens (top-k doubled)
/// while documents are missing.
/// </summary>
public sealed class RelevantDocumentRetriever(ICorpusRetriever retriever)
{
    /// <summary>Widening stops here: a corpus this deep in results has nothing closer to give.</summary>
    public const int MaxTopK = 4096;

    public async Task<IReadOnlyList<RetrievedDocument>> RetrieveAsync(
        long corpusId, string instruction, int targetTokens, int topK, ITokenCounter target, CancellationToken ct)
    {
        var chosen = new List<RetrievedDocument>();
        var seen = new HashSet<long>();
        var total = 0;
        for (var k = topK; ; k *= 2)
        {
            var hits = await retriever.SearchAsync(corpusId, instruction, k, RetrievalMode.Hybrid, ct);
            foreach (var hit in hits)
            {
                if (total >= targetTokens) break;
                if (!seen.Add(hit.DocumentId)) continue;
                var document = await retriever.GetDocumentAsync(hit.DocumentId, ct);
                if (document is null) continue;
                var length = TokenCounters.LengthOf(document, target);
                chosen.Add(new RetrievedDocument(document with { TokenCount = length }, hit.Score, chosen.Count + 1));
                total += length;
            }
            if (total >= targetTokens || hits.Count < k || k >= MaxTopK) break;
        }
        return chosen;
    }
}

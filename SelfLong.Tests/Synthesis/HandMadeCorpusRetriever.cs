using System.Text;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Jobs.Text;

namespace SelfLong.Tests.Synthesis;

/// <summary>
/// Test-only stand-in for the corpus retriever: a small hand-made collection of documents about
/// the sea, cut into ~120-token chunks, searched by shared words. Corpus <see cref="CorpusId"/> is the
/// only corpus; any other id is empty.
/// </summary>
public sealed class HandMadeCorpusRetriever : ICorpusRetriever
{
    public const long CorpusId = 4242;
    public const int ChunkTokens = 120;

    private static readonly (string Title, string[] Facts)[] Topics =
    [
        ("Whaling ships", ["Whaling ships of Nantucket sailed for three or four years at a time.", "A whaling ship carried six boats and a crew of about thirty men.", "The try-works on deck boiled blubber into oil."]),
        ("Sperm whales", ["Sperm whales dive deeper than a thousand metres to hunt squid.", "The spermaceti organ fills much of the sperm whale's head.", "Sperm whales live in family groups led by females."]),
        ("Harpoons", ["The toggling harpoon was invented by Lewis Temple in 1848.", "A harpoon line could run out three hundred fathoms.", "Harpooners stood in the bow of the whaleboat."]),
        ("Lighthouses", ["The Eddystone lighthouse was rebuilt four times.", "Fresnel lenses made lighthouse beams visible for twenty miles.", "Lighthouse keepers trimmed the lamp wicks every night."]),
        ("Navigation", ["Sailors found latitude from the height of the sun at noon.", "The marine chronometer made longitude at sea reliable.", "Dead reckoning combined speed, heading and time."]),
        ("Storms at sea", ["Hurricanes form over warm ocean water in late summer.", "Sailors reefed the sails before a storm reached them.", "A falling barometer warned of a coming storm."]),
        ("Harbours", ["Nantucket harbour was too shallow for loaded whaling ships.", "New Bedford became the richest whaling port in the world.", "Harbour pilots guided ships past sandbars."]),
        ("Whale oil", ["Whale oil lit the lamps of cities before kerosene.", "Spermaceti candles burned brighter than tallow candles.", "The price of whale oil fell after petroleum was found in 1859."]),
        ("Ship building", ["Oak frames and pine planks made the hulls of whaling ships.", "Copper sheathing protected hulls from shipworms.", "Shipwrights in Massachusetts built hundreds of whalers."]),
        ("Life aboard", ["Sailors ate hardtack, salted beef and beans.", "Scurvy struck crews who had no fresh fruit.", "The crew slept in the cramped forecastle."]),
    ];

    private static readonly string[] Fillers =
    [
        "Records from the period describe this in detail.",
        "Historians still argue about the numbers.",
        "Letters written by sailors mention it often.",
        "Museums keep many objects from those years.",
        "It changed slowly over the nineteenth century.",
    ];

    private readonly List<CorpusDocument> documents = [];
    private readonly List<RetrievedChunk> chunks = [];

    /// <param name="sentencesPerDocument">Makes documents longer for recursion and length tests.</param>
    public HandMadeCorpusRetriever(int sentencesPerDocument = 24)
    {
        var tokens = TiktokenTokenCounter.Default;
        long chunkId = 1;
        for (var d = 0; d < Topics.Length; d++)
        {
            var (title, facts) = Topics[d];
            var text = new StringBuilder();
            for (var s = 0; s < sentencesPerDocument; s++)
            {
                if (s > 0) text.Append(' ');
                text.Append(s % 2 == 0 ? facts[s / 2 % facts.Length] : Fillers[(s + d) % Fillers.Length]);
            }
            var document = new CorpusDocument(d + 1, title, text.ToString(), tokens.CountTokens(text.ToString()));
            documents.Add(document);
            var rest = document.Text;
            var index = 0;
            while (rest.Length > 0)
            {
                var piece = tokens.Truncate(rest, ChunkTokens);
                chunks.Add(new RetrievedChunk(chunkId++, document.DocumentId, title, index++, piece, tokens.CountTokens(piece), 0));
                rest = rest[piece.Length..];
            }
        }
    }

    public IReadOnlyList<CorpusDocument> Documents => documents;

    public Task<IReadOnlyList<RetrievedChunk>> SearchAsync(long corpusId, string query, int topK,
        RetrievalMode mode = RetrievalMode.Hybrid, CancellationToken ct = default)
    {
        if (corpusId != CorpusId) return Task.FromResult<IReadOnlyList<RetrievedChunk>>([]);
        var terms = Words(query).ToHashSet();
        IReadOnlyList<RetrievedChunk> hits = chunks
            .Select(c => c with { Score = Words(c.Text).Count(terms.Contains) / Math.Sqrt(Math.Max(1, Words(c.Text).Count())) })
            .OrderByDescending(c => c.Score).ThenBy(c => c.ChunkId)
            .Take(topK).ToList();
        return Task.FromResult(hits);
    }

    public Task<RetrievedChunk?> RandomChunkAsync(long corpusId, Random random, CancellationToken ct = default) =>
        Task.FromResult(corpusId == CorpusId ? chunks[random.Next(chunks.Count)] : null);

    public Task<CorpusDocument?> GetDocumentAsync(long documentId, CancellationToken ct = default) =>
        Task.FromResult(documents.FirstOrDefault(d => d.DocumentId == documentId));

    private static IEnumerable<string> Words(string text) =>
        text.Split([' ', '.', ',', '\n', '\'', '?', '!'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Length > 3).Select(w => w.ToLowerInvariant());
}

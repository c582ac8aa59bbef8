using Npgsql;
using Pgvector;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Corpora;

/// <summary>
/// The hybrid search against the ranking it replaced: the vector list and the full-text list
/// queried one after the other with the former SQL (kept here, verbatim) and fused by reciprocal
/// rank fusion.
/// </summary>
[NeedsDatabase]
public sealed class RetrievalEquivalenceTests
{
    private static readonly (string Title, string Text)[] Handmade =
    [
        ("Whaling", "The harpooner stood in the bow of the whaleboat. Sperm whales surface to breathe and the crew rowed hard. The whale sounded and the line ran out."),
        ("Tariffs", "Congress debated tariffs on imported steel. The tariff schedule protected domestic manufacturing. Steel mills hired more workers."),
        ("Railroads", "The transcontinental railroad joined the coasts. Locomotives hauled freight across the plains. Steel rails replaced iron ones."),
        ("Lighthouses", "A lighthouse keeper trimmed the lamp each night so ships avoided the rocky shoals. The lamp burned whale oil."),
        ("Vaccines", "Vaccination campaigns reduced smallpox. Public health officials organized clinics in every county. Clinics kept records."),
        ("Whale oil", "Whale oil lit the lamps of the nineteenth century until kerosene replaced it. Whalers sold oil in every port."),
        ("Harbors", "Ships waited in the harbor for the tide. The harbor master kept a lamp at the pier. Freight moved from ships to rails."),
        ("Mills", "Textile mills stood along the river. Workers in the mills asked Congress for shorter hours."),
    ];

    private static readonly string[] Queries =
    [
        "whale oil lamps", "tariffs on steel imports", "the lighthouse keeper and the lamp", "freight on steel rails across the plains",
        "public health clinics in the county", "ships in the harbor", "workers in the mills", "the of and", "zebra quantum",
    ];

    [Fact]
    public async Task SearchHybrid_HandmadeCorpus_EqualsFormerTwoQueriesAndFusion()
    {
        await using var harness = await CorporaHarness.CreateAsync();
        var ct = TestContext.Current.CancellationToken;
        // Small chunks: a chunk per sentence or two, so both lists hold many chunks and fusion reorders them.
        var corpus = await harness.CreateCorpusAsync(new CorpusSettings { Name = $"c-{Guid.NewGuid():N}", ChunkTokens = 16, ChunkOverlapTokens = 0 });
        var lines = string.Join("\n", Handmade.Select(d => System.Text.Json.JsonSerializer.Serialize(new { title = d.Title, text = d.Text })));
        await harness.IngestAsync(corpus, ("handmade.jsonl", Utf8(lines)));

        var compared = 0;
        foreach (var query in Queries)
        {
            foreach (var k in new[] { 1, 5, 20 })
            {
                var depth = Math.Max(k * 4, 50);
                var expected = Fuse(k, await FormerVectorAsync(harness, corpus, query, depth, ct), await FormerFullTextAsync(harness, corpus, query, depth, ct));
                var actual = await harness.Retriever.SearchAsync(corpus, query, k, RetrievalMode.Hybrid, ct);

                Assert.Equal(expected.Select(c => (c.ChunkId, c.DocumentTitle, c.Text)), actual.Select(c => (c.ChunkId, c.DocumentTitle, c.Text)));
                Assert.Equal(expected.Select(c => c.Score), actual.Select(c => c.Score));
                compared += actual.Count;
            }
        }
        Assert.True(compared > 100, $"only {compared} results compared: the corpus should give long lists");
    }

    [Fact]
    public void Fuse_ReciprocalRanks_AddUpAcrossLists()
    {
        static RetrievedChunk C(long id) => new(id, id, $"d{id}", 0, "", 1, 0);
        var fused = Fuse(3, [C(1), C(2), C(3)], [C(3), C(2), C(4)]);

        Assert.Equal([3L, 2L, 1L], fused.Select(c => c.ChunkId));
        Assert.Equal(1.0 / 63 + 1.0 / 61, fused[0].Score, 1e-12);
        Assert.Equal(1.0 / 62 + 1.0 / 62, fused[1].Score, 1e-12);
        Assert.Equal(1.0 / 61, fused[2].Score, 1e-12);
    }

    private static IReadOnlyList<RetrievedChunk> Fuse(int topK, params IReadOnlyList<RetrievedChunk>[] lists) => ReciprocalRankFusion.Fuse(topK, lists);

    private static async Task<List<RetrievedChunk>> FormerVectorAsync(CorporaHarness harness, long corpus, string query, int topK, CancellationToken ct)
    {
        var embedding = new LexicalEmbedder().Embed(query);
        if (embedding.All(x => x == 0)) return [];
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var set = new NpgsqlCommand($"SET LOCAL hnsw.ef_search = {Math.Clamp(Math.Max(100, topK * 2), 1, 1000)}", connection, transaction))
            await set.ExecuteNonQueryAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, 1 - c.distance
            FROM (SELECT id, document_id, index, text, token_count, (embedding::vector(256)) <=> @q AS distance
                  FROM chunks WHERE corpus_id = {corpus} AND dimension = 256 AND embedding IS NOT NULL
                  ORDER BY (embedding::vector(256)) <=> @q LIMIT @k) c
            JOIN documents d ON d.id = c.document_id
            ORDER BY c.distance, c.id
            """, connection, transaction);
        command.Parameters.AddWithValue("q", new Vector(embedding));
        command.Parameters.AddWithValue("k", topK);
        return await ReadAsync(command, ct);
    }

    private static async Task<List<RetrievedChunk>> FormerFullTextAsync(CorporaHarness harness, long corpus, string query, int topK, CancellationToken ct)
    {
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            WITH q AS (SELECT (SELECT string_agg(quote_literal(w), ' | ') FROM unnest(tsvector_to_array(to_tsvector('english', @query))) w)::tsquery AS tsq)
            SELECT c.id, c.document_id, d.title, c.index, c.text, c.token_count, ts_rank_cd(c.search_vector, q.tsq) AS score
            FROM q, chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.corpus_id = @corpus AND c.search_vector @@ q.tsq
            ORDER BY score DESC, c.id
            LIMIT @k
            """, connection);
        command.Parameters.AddWithValue("query", query);
        command.Parameters.AddWithValue("corpus", corpus);
        command.Parameters.AddWithValue("k", topK);
        return await ReadAsync(command, ct);
    }

    private static async Task<List<RetrievedChunk>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var result = new List<RetrievedChunk>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(new RetrievedChunk(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetString(4), reader.GetInt32(5), Convert.ToDouble(reader.GetValue(6))));
        }
        return result;
    }
}

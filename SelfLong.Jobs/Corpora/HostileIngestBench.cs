using System.Diagnostics;
using System.Text;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora.Chunking;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Corpora;

/// <summary>
/// `./selflong bench ingest-hostile`: the uploads that once held the ingest worker for hours, made
/// in a temporary folder and ingested one by one through the real pipeline: one 50 MB JSON Lines
/// record of ten million words with no sentence ending, and 64 MiB of text without punctuation
/// (exactly the default document limit). Each gets its outcome (ingested, or refused with the
/// message the user sees), wall and CPU time and the process's peak resident memory while it ran,
/// and the time the chunker alone takes on the same text. The corpora and files it makes are
/// deleted at the end.
/// </summary>
public sealed class HostileIngestBench(CorpusService corpora, IngestionService ingestion, IngestionJob ingestionJob, ITokenCounter tokens)
{
    private const string RecordHead = "{\"text\": \"";
    private const string RecordTail = "\"}\n";

    public async Task<object> RunAsync(CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("selflong-hostile-").FullName;
        var made = new List<long>();
        try
        {
            var jsonl = Path.Combine(folder, "one-record-50mb.jsonl");
            await WriteAsync(jsonl, RecordHead, 10_000_000, 50_000_000, RecordTail, ct);
            var text = Path.Combine(folder, "no-punctuation-64mib.txt");
            await WriteAsync(text, "", int.MaxValue, 64L << 20, "", ct);
            var results = new List<object>();
            foreach (var path in new[] { jsonl, text })
                results.Add(await IngestAsync(path, made, ct));
            return new { area = "ingest-hostile", files = results };
        }
        finally
        {
            foreach (var id in made) await corpora.DeleteAsync(id, CancellationToken.None);
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<object> IngestAsync(string path, List<long> made, CancellationToken ct)
    {
        var (corpus, errors) = await corpora.CreateAsync(new CorpusSettings { Name = $"bench-hostile-{Guid.NewGuid():N}" }, ct);
        if (corpus is null) throw new InvalidOperationException(string.Join(" ", errors.Values.SelectMany(v => v)));
        made.Add(corpus.Id);
        var size = new FileInfo(path).Length;
        var run = await ingestion.StartAsync(corpus.Id, [new IngestionInput(Path.GetFileName(path), path, size)], enqueue: false, ct);

        GC.Collect();
        TorchDevices.ReleaseFreedMemory();
        TorchDevices.ResetPeakResident();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await ingestionJob.RunAsync(run.Id, ct);
        var seconds = watch.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var peak = TorchDevices.PeakResidentBytes();

        // The chunker alone, on the same text with the corpus's chunk settings: the step that was quadratic.
        var text = await File.ReadAllTextAsync(path, ct);
        if (path.EndsWith(".jsonl", StringComparison.Ordinal)) text = text[RecordHead.Length..^RecordTail.Length];
        var chunkWatch = Stopwatch.StartNew();
        var chunked = new SentenceChunker(tokens, corpus.ChunkTokens, corpus.ChunkOverlapTokens).Chunk(text, ct);
        var chunkSeconds = chunkWatch.Elapsed.TotalSeconds;

        var done = (await ingestion.FindAsync(run.Id, ct))!;
        var file = done.FileList.Single();
        var ingested = file.Status is IngestionFileStatus.Succeeded or IngestionFileStatus.PartlyFailed && file.Documents > 0;
        return new
        {
            file = Path.GetFileName(path),
            bytes = size,
            outcome = ingested ? "ingested" : "refused",
            message = ingested ? null : file.Message ?? file.Issues.FirstOrDefault()?.Message,
            documents = file.Documents,
            chunks = file.Chunks,
            tokens = file.Tokens,
            seconds = Math.Round(seconds, 2),
            cpu_seconds = Math.Round(cpuSeconds, 2),
            peak_resident_bytes = peak,
            chunk_only_seconds = Math.Round(chunkSeconds, 2),
            chunk_only_chunks = chunked.Chunks.Count,
        };
    }

    /// <summary>Writes head, words separated by single spaces (no punctuation, no line break) up to a count or a size, then tail.</summary>
    private static async Task WriteAsync(string path, string head, int words, long bytes, string tail, CancellationToken ct)
    {
        string[] vocabulary = ["sea", "ship", "whale", "wind", "sail", "rope", "deck", "crew", "tide", "gull", "salt", "mast", "oar", "keel", "fog", "star"];
        var random = new Random(11);
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        var budget = bytes - Encoding.UTF8.GetByteCount(head) - Encoding.UTF8.GetByteCount(tail);
        var block = new StringBuilder(1 << 20);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head), ct);
        long written = 0;
        for (var i = 0; i < words && written < budget; i++)
        {
            var word = vocabulary[random.Next(vocabulary.Length)];
            var piece = i == 0 ? word : " " + word;
            if (written + piece.Length > budget) piece = piece[..(int)(budget - written)];
            block.Append(piece);
            written += piece.Length;
            if (block.Length < 1 << 20) continue;
            await stream.WriteAsync(Encoding.ASCII.GetBytes(block.ToString()), ct);
            block.Clear();
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes(block.ToString() + tail), ct);
    }
}

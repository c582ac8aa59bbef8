using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>
/// Archives (.zip, .tar, .tar.gz, .gz) holding any supported format. Entries are read in memory or
/// spooled to a temporary file, never extracted by name, and guarded: path-traversal names are
/// refused, expansion is limited by ratio and total size (counting the bytes really inflated,
/// since headers can lie), and a bad entry is reported while the other entries still ingest.
/// </summary>
internal static class ArchiveFormats
{
    private const long RatioCheckedAbove = 1 << 20;

    public static async IAsyncEnumerable<ExtractedDocument> ZipAsync(Stream stream, string name,
        ExtractionContext context, int depth, [EnumeratorCancellation] CancellationToken ct)
    {
        CheckDepth(context, depth);
        await using var seekable = await DocumentExtractor.SeekableAsync(stream, context.Options.MaxFileBytes, ct);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new ExtractionException($"The zip archive is corrupt or not a zip file ({ex.Message}).", ex);
        }
        using var _ = zip;
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\')) continue;
            var where = $"{name} > {entry.FullName}";
            if (!IsSafeEntryName(entry.FullName))
            {
                context.Error(where, "The entry name points outside the archive (path traversal); skipped.");
                continue;
            }
            if (entry.Length > RatioCheckedAbove && entry.Length > entry.CompressedLength * context.Options.MaxCompressionRatio)
            {
                context.Error(where, $"The entry expands {entry.Length / Math.Max(1, entry.CompressedLength):N0}:1, over the limit of " +
                    $"{context.Options.MaxCompressionRatio:N0}:1 (a zip bomb?); skipped.");
                continue;
            }
            Stream opened;
            try
            {
                opened = entry.Open();
            }
            catch (InvalidDataException ex)
            {
                context.Error(where, $"The entry is corrupt ({ex.Message}); skipped.");
                continue;
            }
            var limit = EntryLimit(context, entry.CompressedLength);
            await using var guarded = new LimitedStream(opened, limit, () => TooLarge(limit), context.AddExpanded);
            await foreach (var document in GuardAsync(guarded, entry.FullName, entry.Length, where, context, depth, ct))
                yield return document;
        }
    }

    public static async IAsyncEnumerable<ExtractedDocument> TarAsync(Stream stream, string name, bool gzipped,
        ExtractionContext context, int depth, [EnumeratorCancellation] CancellationToken ct)
    {
        CheckDepth(context, depth);
        var compressedLength = stream.CanSeek ? stream.Length : (long?)null;
        Stream source = gzipped ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
        var limit = compressedLength is { } c ? EntryLimit(context, c) : context.Options.MaxExpandedBytes;
        await using var guarded = new LimitedStream(source, limit, () => TooLarge(limit), gzipped ? context.AddExpanded : null);
        await using var tar = new TarReader(guarded, leaveOpen: true);
        while (true)
        {
            TarEntry? entry;
            try
            {
                entry = await tar.GetNextEntryAsync(copyData: false, ct);
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new ExtractionException($"The tar archive is corrupt ({ex.Message}); the entries before the damage were read.", ex);
            }
            if (entry is null) break;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var where = $"{name} > {entry.Name}";
            if (!IsSafeEntryName(entry.Name))
            {
                context.Error(where, "The entry name points outside the archive (path traversal); skipped.");
                continue;
            }
            if (entry.DataStream is null)
            {
                context.Error(where, "The file is empty.");
                continue;
            }
            await foreach (var document in GuardAsync(entry.DataStream, entry.Name, entry.Length, where, context, depth, ct))
                yield return document;
        }
    }

    public static async IAsyncEnumerable<ExtractedDocument> GzipAsync(Stream stream, string name, string where, long? length,
        ExtractionContext context, int depth, [EnumeratorCancellation] CancellationToken ct)
    {
        CheckDepth(context, depth);
        var inner = name[..^3];
        var limit = length is { } c ? EntryLimit(context, c) : context.Options.MaxExpandedBytes;
        await using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        await using var guarded = new LimitedStream(gzip, limit, () => TooLarge(limit), context.AddExpanded);
        // Gzip is one compressed file: problems inside it are problems of this file.
        await using var e = DocumentExtractor.ExtractAsync(guarded, inner, null, context, depth + 1, ct, where[..^3]).GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync()) break;
            }
            catch (InvalidDataException ex)
            {
                throw new ExtractionException($"The gzip data is corrupt ({ex.Message}).", ex);
            }
            yield return e.Current;
        }
    }

    /// <summary>Extracts one entry; a failure becomes an error on that entry and the archive goes on.</summary>
    private static async IAsyncEnumerable<ExtractedDocument> GuardAsync(Stream stream, string entryName, long? length,
        string where, ExtractionContext context, int depth, [EnumeratorCancellation] CancellationToken ct)
    {
        IAsyncEnumerator<ExtractedDocument>? e = null;
        try
        {
            e = DocumentExtractor.ExtractAsync(stream, entryName, length, context, depth + 1, ct, where).GetAsyncEnumerator(ct);
        }
        catch (ExtractionException ex)
        {
            context.Error(where, ex.Message);
        }
        if (e is null) yield break;
        await using var _ = e;
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync()) break;
            }
            catch (Exception ex) when (ex is not ExpansionBudgetException && ex is ExtractionException or InvalidDataException or IOException or EndOfStreamException)
            {
                context.Error(where, ex.Message);
                break;
            }
            yield return e.Current;
        }
    }

    /// <summary>Relative names only: no root, no drive, no ".." segment.</summary>
    public static bool IsSafeEntryName(string name)
    {
        var normalized = name.Replace('\\', '/');
        return normalized.Length > 0 && !normalized.StartsWith('/') && !normalized.Contains(':')
            && normalized.Split('/').All(segment => segment != "..");
    }

    private static long EntryLimit(ExtractionContext context, long compressedLength) =>
        Math.Min(context.Options.MaxExpandedBytes,
            Math.Max(RatioCheckedAbove, (long)(compressedLength * context.Options.MaxCompressionRatio)));

    private static string TooLarge(long limit) =>
        $"The compressed data expands past {ByteSize.Format(limit)}, over the ratio or size limit (a zip bomb?). Stopped reading it.";

    private static void CheckDepth(ExtractionContext context, int depth)
    {
        if (depth >= context.Options.MaxArchiveDepth)
            throw new ExtractionException($"Archives are nested more than {context.Options.MaxArchiveDepth} deep; not opened.");
    }
}

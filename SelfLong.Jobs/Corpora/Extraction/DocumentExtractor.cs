namespace SelfLong.Jobs.Corpora.Extraction;

/// <summary>
/// Turns one file (or archive entry) into documents by its extension. Problems with a part of
/// a file (a record, an archive entry) are logged in the context and the rest still comes out;
/// a problem with the whole file throws <see cref="ExtractionException"/> with a message for the user.
/// </summary>
public static class DocumentExtractor
{
    public static readonly string[] SupportedExtensions =
        [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".zip", ".tar", ".tar.gz", ".tgz", ".gz"];

    /// <summary>The supported extension of a name (".tar.gz" counts as one), or null.</summary>
    public static string? FormatOf(string name)
    {
        var lower = name.ToLowerInvariant();
        return SupportedExtensions.Where(lower.EndsWith).OrderByDescending(e => e.Length).FirstOrDefault();
    }

    /// <param name="length">Size in bytes when known (files, archive entries), to refuse empty ones early.</param>
    /// <param name="location">Where the file is, for messages ("a.zip > docs/b.txt"); the name when omitted.</param>
    public static IAsyncEnumerable<ExtractedDocument> ExtractAsync(Stream stream, string name, long? length,
        ExtractionContext context, int depth, CancellationToken ct, string? location = null)
    {
        var where = location ?? name;
        var format = FormatOf(name) ?? throw new ExtractionException(
            $"Unsupported file type '{Path.GetExtension(name)}'. Supported: {string.Join(", ", SupportedExtensions)}.");
        if (length == 0) throw new ExtractionException("The file is empty.");
        var title = Path.GetFileName(name.Replace('\\', '/'));
        return format switch
        {
            ".txt" or ".md" or ".markdown" => TextFormats.PlainAsync(stream, title, where, context, ct),
            ".html" or ".htm" => TextFormats.HtmlAsync(stream, title, where, context, ct),
            ".pdf" => TextFormats.PdfAsync(stream, title, where, context, ct),
            ".jsonl" or ".ndjson" => RecordFormats.JsonLinesAsync(stream, title, where, context, ct),
            ".json" => RecordFormats.JsonAsync(stream, title, where, context, ct),
            ".csv" => TableFormats.CsvAsync(stream, title, where, context, ct),
            ".parquet" => TableFormats.ParquetAsync(stream, title, where, context, ct),
            ".zip" => ArchiveFormats.ZipAsync(stream, where, context, depth, ct),
            ".tar" or ".tar.gz" or ".tgz" => ArchiveFormats.TarAsync(stream, where, format != ".tar", context, depth, ct),
            _ => ArchiveFormats.GzipAsync(stream, name, where, length, context, depth, ct),
        };
    }

    /// <summary>Reads a whole stream up to <paramref name="limit"/> bytes, with a clear message past it.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream stream, long limit, string what, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > limit)
                throw new ExtractionException($"{what} is larger than the limit of {ByteSize.Format(limit)} for one document.");
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0) throw new ExtractionException("The file is empty.");
        return buffer.ToArray();
    }

    /// <summary>Formats that seek (PDF, Parquet, zip) get the stream itself or a spooled temporary copy.</summary>
    public static async Task<Stream> SeekableAsync(Stream stream, long limit, CancellationToken ct)
    {
        if (stream.CanSeek) return stream;
        var spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (spool.Length + n > limit)
            {
                await spool.DisposeAsync();
                throw new ExtractionException($"The entry is larger than the limit of {ByteSize.Format(limit)}.");
            }
            await spool.WriteAsync(chunk.AsMemory(0, n), ct);
        }
        spool.Position = 0;
        return spool;
    }

    /// <summary>Line endings unified, surrounding blank space trimmed.</summary>
    public static string Normalize(string text) => Utf8Text.Clean(text.Replace("\r\n", "\n").Replace('\r', '\n')).Trim();
}

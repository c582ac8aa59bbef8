using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Parquet;
using Parquet.Schema;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace SelfLong.Tests.Corpora;

/// <summary>Builds input files of every format in memory, so tests need no fixtures on disk.</summary>
public static class TestFiles
{
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Pdf(params string[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in pages)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            page.AddText(text, 12, new UglyToad.PdfPig.Core.PdfPoint(50, 700), font);
        }
        return builder.Build();
    }

    public static async Task<byte[]> ParquetAsync(string[] texts, string[]? titles = null)
    {
        var textField = new DataField<string>("text");
        var titleField = new DataField<string>("title");
        var schema = titles is null ? new ParquetSchema(textField) : new ParquetSchema(textField, titleField);
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(textField, texts);
            if (titles is not null) await group.WriteAsync(titleField, titles);
        }
        return stream.ToArray();
    }

    /// <summary>A Parquet file with one row group per array of texts.</summary>
    public static async Task<byte[]> ParquetGroupsAsync(params string[][] groups)
    {
        var textField = new DataField<string>("text");
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(textField), stream))
        {
            foreach (var texts in groups)
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync(textField, texts);
            }
        }
        return stream.ToArray();
    }

    public static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                entry.Write(bytes);
            }
        }
        return stream.ToArray();
    }

    public static byte[] TarGz(params (string Name, byte[] Bytes)[] entries)
    {
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
        }
        return stream.ToArray();
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return stream.ToArray();
    }
}

using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Jobs.Evaluation;

/// <summary>The uploaded SQuAD v2 and HotpotQA files RULER's QA tasks draw from.</summary>
public sealed partial class EvaluationService
{
    /// <summary>Stores an uploaded SQuAD v2 or HotpotQA file after checking it parses; returns its question count.</summary>
    public async Task<int> UploadQaDatasetAsync(QaDatasetKind kind, string fileName, Stream json, CancellationToken ct = default)
    {
        using var buffer = new MemoryStream();
        await json.CopyToAsync(buffer, ct);
        buffer.Position = 0;
        QaDataset parsed;
        try
        {
            parsed = QaDataset.Parse(kind, buffer);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ArgumentException($"{fileName} is not a {(kind == QaDatasetKind.Squad ? "SQuAD v2" : "HotpotQA")} JSON file: {e.Message}");
        }
        if (parsed.Questions.Count == 0) throw new ArgumentException($"{fileName} has no answerable questions.");
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(buffer.ToArray(), ct);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.QaDatasetFiles.Add(new QaDatasetFile
        {
            Kind = kind == QaDatasetKind.Squad ? QaDatasetKinds.Squad : QaDatasetKinds.HotpotQa,
            FileName = Path.GetFileName(fileName), Questions = parsed.Questions.Count, CompressedJson = compressed.ToArray(),
        });
        await db.SaveChangesAsync(ct);
        return parsed.Questions.Count;
    }

    public async Task<IReadOnlyList<QaDatasetFile>> QaDatasetsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.QaDatasetFiles.AsNoTracking().OrderByDescending(f => f.UploadedAt)
            .Select(f => new QaDatasetFile { Id = f.Id, Kind = f.Kind, FileName = f.FileName, Questions = f.Questions, UploadedAt = f.UploadedAt })
            .ToListAsync(ct);
    }

    private async Task<IReadOnlySet<QaDatasetKind>> UploadedQaKindsAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var kinds = await db.QaDatasetFiles.Select(f => f.Kind).Distinct().ToListAsync(ct);
        return kinds.Select(k => k == QaDatasetKinds.Squad ? QaDatasetKind.Squad : QaDatasetKind.HotpotQa).ToHashSet();
    }
}

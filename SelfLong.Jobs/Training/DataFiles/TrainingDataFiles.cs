using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SelfLong.Data;
using SelfLong.Data.Training;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Storage;

namespace SelfLong.Jobs.Training.DataFiles;

/// <summary>An uploaded data file and its mixing weight, as a run request names it (by id).</summary>
public sealed record UploadedDataSpec(long Id, double Weight = 1.0);

/// <summary>
/// Training data uploaded by users: each file is checked line by line as the trainer reads it
/// (<see cref="ChatJsonlSampleSource"/>), so a file that would fail a run at load time is refused at
/// upload, then kept in the storage root's data-files folder, where every worker finds it. Runs name
/// a file by id and store its path like any data file's; a file that a run names is never deleted
/// under it.
/// </summary>
public sealed class TrainingDataFiles(IDbContextFactory<SelfLongDbContext> dbFactory, IConfiguration configuration, IOptions<CorporaOptions> limits)
{
    /// <summary>The names the trainer reads (it decompresses by the .gz ending).</summary>
    public static readonly string[] Extensions = [".jsonl", ".jsonl.gz"];

    /// <summary>Largest file: the upload limit of corpora (<see cref="CorporaOptions.MaxFileBytes"/>).</summary>
    public long MaxBytes => limits.Value.MaxFileBytes;

    /// <summary>
    /// Stores <paramref name="content"/> as a data file named <paramref name="fileName"/>; throws an
    /// <see cref="ArgumentException"/> saying what is wrong (name, size, the first bad line) and then
    /// keeps nothing.
    /// </summary>
    public async Task<TrainingDataFile> AddAsync(string fileName, Stream content, CancellationToken ct = default)
    {
        // The name is only a label and an extension; it never becomes a path.
        var name = Path.GetFileName(fileName.Replace('\\', '/'));
        var extension = Extensions.FirstOrDefault(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"{(name.Length == 0 ? "The file" : name)} is not a .jsonl or .jsonl.gz file.");
        if (name.Length > 300) throw new ArgumentException("The file's name is longer than 300 characters.");
        var folder = RunFolders.DataFilesDirectory(configuration);
        Directory.CreateDirectory(folder);
        var id = Guid.NewGuid().ToString("N");
        var stored = Path.Combine(folder, id + extension);
        // Ends as the stored file does: the check reads it as the trainer will (gzip by its ending).
        var partial = Path.Combine(folder, $"{id}.partial{extension}");
        try
        {
            long size;
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                size = await CopyAsync(content, file, MaxBytes, ct);
            var samples = await CheckAsync(partial, name, ct);
            File.Move(partial, stored);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var row = new TrainingDataFile { FileName = name, StoredPath = stored, SizeBytes = size, Samples = samples };
            db.TrainingDataFiles.Add(row);
            await db.SaveChangesAsync(CancellationToken.None);
            return row;
        }
        catch
        {
            File.Delete(partial);
            File.Delete(stored);
            throw;
        }
    }

    public async Task<IReadOnlyList<TrainingDataFile>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TrainingDataFiles.AsNoTracking().OrderByDescending(f => f.UploadedAt).ThenByDescending(f => f.Id).ToListAsync(ct);
    }

    /// <summary>The data files of <paramref name="uploaded"/> by their stored paths, or what is wrong with each id (field "dataFileIds").</summary>
    public async Task<(IReadOnlyList<DataFileSpec> Data, IReadOnlyList<(string Field, string Message)> Errors)> ResolveAsync(
        IReadOnlyList<UploadedDataSpec> uploaded, CancellationToken ct = default)
    {
        if (uploaded.Count == 0) return ([], []);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = uploaded.Select(u => u.Id).Distinct().ToList();
        var found = await db.TrainingDataFiles.AsNoTracking().Where(f => ids.Contains(f.Id)).ToDictionaryAsync(f => f.Id, ct);
        var data = new List<DataFileSpec>();
        var errors = new List<(string, string)>();
        foreach (var u in uploaded)
        {
            if (!found.TryGetValue(u.Id, out var file)) errors.Add((Field, $"Uploaded data file #{u.Id} does not exist."));
            else if (!File.Exists(file.StoredPath)) errors.Add((Field, $"Uploaded data file #{u.Id} ({file.FileName}) is not in the storage root this process sees."));
            else data.Add(new DataFileSpec(file.StoredPath, u.Weight));
        }
        return (data, errors);
    }

    /// <summary>The request field that names uploaded files.</summary>
    public const string Field = "dataFileIds";

    /// <summary>
    /// Deletes the file and its row; refused (with the runs named) while a training run's spec
    /// names it, since resuming or exporting that run reads it again. False when there is no such file.
    /// </summary>
    public async Task<(bool Found, string? Refusal)> DeleteAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.TrainingDataFiles.FindAsync([id], ct) is not { } file) return (false, null);
        var users = await RunsNamingAsync(db, file.StoredPath, ct);
        if (users.Count > 0)
            return (true, $"{file.FileName} is training data of run {string.Join(", ", users.Select(r => $"#{r}"))}: delete those runs first.");
        db.TrainingDataFiles.Remove(file);
        await db.SaveChangesAsync(ct);
        File.Delete(file.StoredPath);
        return (true, null);
    }

    private static Task<List<long>> RunsNamingAsync(SelfLongDbContext db, string path, CancellationToken ct) =>
        db.Database.SqlQuery<long>($"""
            SELECT "Id" AS "Value" FROM training_runs
            WHERE "SpecJson" -> 'Data' @> jsonb_build_array(jsonb_build_object('Path', {path}::text)) ORDER BY "Id"
            """).ToListAsync(ct);

    /// <summary>Samples in the file, read as a run reads it; a bad line is refused with its number.</summary>
    private static async Task<int> CheckAsync(string path, string name, CancellationToken ct)
    {
        try
        {
            return (await new ChatJsonlSampleSource(path, name).LoadAsync(ct)).Count;
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.DecoderFallbackException)
        {
            throw new ArgumentException(e.Message, e);
        }
    }

    private static async Task<long> CopyAsync(Stream from, Stream to, long limit, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        long length = 0;
        int n;
        while ((n = await from.ReadAsync(buffer, ct)) > 0)
        {
            length += n;
            if (length > limit) throw new ArgumentException($"The file is larger than the limit of {ByteSize.Format(limit)}; it was not uploaded.");
            await to.WriteAsync(buffer.AsMemory(0, n), ct);
        }
        return length;
    }
}

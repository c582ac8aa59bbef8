using SelfLong.Data.Corpora;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Uploaded files wait in the upload folder only until their run is done with them: each is
/// removed after its file is ingested, and the rest when the run ends (finished, failed or
/// cancelled) or its corpus is deleted. Files the run only points at (bundled samples, files
/// given to `./selflong ingest`) are never touched.
/// </summary>
public static class StoredUploads
{
    public static void Remove(IEnumerable<IngestionFile> files)
    {
        foreach (var file in files)
        {
            if (!file.DeleteWhenDone || file.StoredPath is null) continue;
            try
            {
                File.Delete(file.StoredPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Removal is housekeeping: a file that cannot be removed now must not change how the run ended.
            }
        }
    }
}

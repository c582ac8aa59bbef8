using Microsoft.Extensions.Options;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Web.Features.Api;

namespace SelfLong.Web.Features.Corpora;

/// <summary>
/// Streams a multipart upload into the database (<see cref="UploadStore"/>) part by part, so a large
/// file never sits in memory and any worker can read it. A file over the size limit is refused on
/// its own (recorded with the reason) while the other files of the request are kept. A request that
/// breaks off (the client went away, the body is malformed) leaves nothing behind: the half-written
/// file is never committed and every file it stored before is removed.
/// </summary>
public sealed class UploadReceiver(IOptions<CorporaOptions> options, UploadStore store)
{
    public async Task<(List<IngestionInput> Files, string? Error)> ReceiveAsync(HttpRequest request, CancellationToken ct)
    {
        var limits = options.Value;
        var files = new List<IngestionInput>();
        var written = new List<Guid>();
        var complete = false;
        try
        {
            var refused = await MultipartFiles.ReadAsync(request, limits.MaxUploadBytes, async (name, body) =>
            {
                var id = Guid.NewGuid();
                var (length, tooLarge) = await store.WriteAsync(id, body, limits.MaxFileBytes, ct);
                if (!tooLarge) written.Add(id);
                files.Add(tooLarge
                    ? new IngestionInput(name, null, length, Refused: $"The file is larger than the limit of {ByteSize.Format(limits.MaxFileBytes)}; it was not uploaded.")
                    : new IngestionInput(name, null, length, UploadId: id));
            }, ct);
            if (refused is not null) return ([], refused);
            complete = true;
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            return ([], $"The upload was cut off or malformed ({ex.Message}). Try again.");
        }
        finally
        {
            // Also when the client aborts (the request's token is cancelled): no part of the upload stays.
            if (!complete) await RemoveAsync(written);
        }
        return files.Count == 0 ? ([], "The request holds no files.") : (files, null);
    }

    /// <summary>Removes what an upload stored; used when the upload breaks off or its run cannot be recorded.</summary>
    public Task RemoveAsync(IReadOnlyCollection<Guid> uploads) => store.RemoveAsync(uploads, CancellationToken.None);
}

using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;

namespace SelfLong.Web.Features.Corpora;

/// <summary>
/// Streams a multipart upload to the upload folder part by part, so a large file never sits in
/// memory. A file over the size limit is refused on its own (recorded with the reason) while the
/// other files of the request are kept. A request that breaks off (the client went away, the
/// body is malformed) leaves nothing behind: every file it wrote, the half-written one too, is removed.
/// </summary>
public sealed class UploadReceiver(IOptions<CorporaOptions> options)
{
    public async Task<(List<IngestionInput> Files, string? Error)> ReceiveAsync(HttpRequest request, CancellationToken ct)
    {
        var limits = options.Value;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limits.MaxUploadBytes;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
            return ([], "Send the files as multipart/form-data (one part per file).");

        var directory = Path.GetFullPath(limits.UploadDirectory);
        Directory.CreateDirectory(directory);
        var files = new List<IngestionInput>();
        var written = new List<string>();
        var complete = false;
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                    continue;
                var given = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                // The name is only a label and an extension; it never becomes a path.
                var name = Path.GetFileName(given.Replace('\\', '/'));
                if (name.Length == 0) name = "unnamed";
                var path = Path.Combine(directory, $"{Guid.NewGuid():N}.upload");
                written.Add(path);
                var (length, tooLarge) = await SaveAsync(section.Body, path, limits.MaxFileBytes, ct);
                files.Add(tooLarge
                    ? new IngestionInput(name, null, length, true, $"The file is larger than the limit of {ByteSize.Format(limits.MaxFileBytes)}; it was not uploaded.")
                    : new IngestionInput(name, path, length, DeleteWhenDone: true));
            }
            complete = true;
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            return ([], $"The upload was cut off or malformed ({ex.Message}). Try again.");
        }
        finally
        {
            // Also when the client aborts (the request's token is cancelled): no part of the upload stays.
            if (!complete) Remove(written);
        }
        return files.Count == 0 ? ([], "The request holds no files.") : (files, null);
    }

    /// <summary>Removes what an upload wrote; used when the upload breaks off or its run cannot be recorded.</summary>
    public static void Remove(IEnumerable<string> paths)
    {
        foreach (var path in paths) File.Delete(path);
    }

    private static async Task<(long Length, bool TooLarge)> SaveAsync(Stream body, string path, long limit, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        long length = 0;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                length += n;
                if (length > limit) break;
                await file.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        if (length <= limit) return (length, false);
        File.Delete(path);
        // Read past the rest of this part so the next file of the request still arrives.
        int m;
        while ((m = await body.ReadAsync(buffer, ct)) > 0) length += m;
        return (length, true);
    }
}

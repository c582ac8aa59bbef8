using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace SelfLong.Web.Features.Api;

/// <summary>
/// The file parts of a multipart/form-data request, read one at a time as streams: a large file
/// never sits in memory, nor in ASP.NET's form buffer (whose 128 MB default would refuse it).
/// </summary>
public static class MultipartFiles
{
    public const string NotMultipart = "Send the files as multipart/form-data (one part per file).";

    /// <summary>
    /// Calls <paramref name="onFile"/> with each file part's name (a label only: its last path
    /// segment, never used as a path; "unnamed" when it has none) and body, in order; the request
    /// may carry up to <paramref name="maxRequestBytes"/>. Returns <see cref="NotMultipart"/> for a
    /// request of another kind. A body cut off or malformed throws (BadHttpRequestException,
    /// InvalidDataException or IOException).
    /// </summary>
    public static async Task<string?> ReadAsync(HttpRequest request, long maxRequestBytes, Func<string, Stream, Task> onFile, CancellationToken ct)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = maxRequestBytes;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
            return NotMultipart;
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                continue;
            var given = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
            var name = Path.GetFileName(given.Replace('\\', '/'));
            await onFile(name.Length == 0 ? "unnamed" : name, section.Body);
        }
        return null;
    }
}

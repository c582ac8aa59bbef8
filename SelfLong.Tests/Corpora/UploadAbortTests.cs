using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SelfLong.Jobs.Corpora;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Corpora;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class UploadAbortTests(AppFixture app)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Upload_ClientAbortsMidFile_LeavesNoFileBehindAndNoRun()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        var created = await client.PostAsJsonAsync("/api/corpora", new { name = $"abort-{Guid.NewGuid():N}" }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var corpus = (await created.Content.ReadFromJsonAsync<CorpusSummary>(Json, ct))!;
        var folder = Path.GetFullPath(app.Services.GetRequiredService<IOptions<CorporaOptions>>().Value.UploadDirectory);
        var content = new AbortingContent(folder);
        using var form = new MultipartFormDataContent { { content, "files", "cut.txt" } };

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, ct));

        // The server had the half-written file on disk before the client went away.
        var written = Assert.IsType<string>(content.SeenOnServer);
        await Poll.UntilAsync(() => !File.Exists(written), "the server to delete the half-written upload", TimeSpan.FromSeconds(30));
        Assert.Empty((await client.GetFromJsonAsync<List<IngestionRunDto>>($"/api/corpora/{corpus.Id}/ingestions", Json, ct))!);
    }

    /// <summary>
    /// Sends a megabyte of text, waits until the server has written it to a new file in its upload
    /// folder (the server holds it locked, so it is known by its size: other tests upload a few
    /// bytes), then breaks off.
    /// </summary>
    private sealed class AbortingContent(string folder) : HttpContent
    {
        private readonly HashSet<string> before = Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder)] : [];

        public string? SeenOnServer { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("Words that never finish arriving. ", 32 * 1024))));
            await stream.FlushAsync();
            SeenOnServer = await Poll.UntilAsync(() => Task.FromResult(Written()), file => file is not null,
                "the server to write the upload to its folder", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
            throw new IOException("The client gave up mid-upload.");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        private string? Written() => Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.upload").FirstOrDefault(f => !before.Contains(f) && new FileInfo(f) is { Exists: true, Length: >= 256 * 1024 })
            : null;
    }
}

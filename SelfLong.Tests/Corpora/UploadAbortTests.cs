using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Corpora;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class UploadAbortTests(AppFixture app)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Upload_ClientAbortsMidFile_LeavesNoPieceBehindAndNoRun()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        var created = await client.PostAsJsonAsync("/api/corpora", new { name = $"abort-{Guid.NewGuid():N}" }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var corpus = (await created.Content.ReadFromJsonAsync<CorpusSummary>(Json, ct))!;
        await using var database = NpgsqlDataSource.Create(app.ConnectionString!);
        var started = await ScalarAsync<DateTime>(database, "SELECT now()");
        var content = new AbortingContent(database);
        using var form = new MultipartFormDataContent { { content, "files", "cut.txt" } };

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, ct));

        // The server had stored pieces of the file (in a COPY not yet committed) before the client went away.
        var copier = Assert.IsType<int>(content.CopyingBackend);
        await Poll.UntilAsync(async () => await ScalarAsync<long>(database, $"SELECT count(*) FROM pg_stat_progress_copy WHERE pid = {copier}") == 0,
            "the server to end the COPY of the broken-off upload", TimeSpan.FromSeconds(30));
        // Other tests upload a few bytes at most: nothing past the first piece, from this test's time on, may stay.
        Assert.Equal(0L, await ScalarAsync<long>(database, $"SELECT count(*) FROM upload_chunks WHERE seq > 0 AND written_at >= '{started:O}'::timestamptz"));
        Assert.Empty((await client.GetFromJsonAsync<List<IngestionRunDto>>($"/api/corpora/{corpus.Id}/ingestions", Json, ct))!);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>
    /// Sends three pieces' worth of text, waits until the server has copied two pieces into
    /// upload_chunks (pg_stat_progress_copy counts them before the COPY commits), then breaks off.
    /// </summary>
    private sealed class AbortingContent(NpgsqlDataSource database) : HttpContent
    {
        public int? CopyingBackend { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var line = Encoding.ASCII.GetBytes("Words that never finish arriving. ");
            for (var sent = 0; sent < 3 * UploadStore.ChunkBytes; sent += line.Length) await stream.WriteAsync(line);
            await stream.FlushAsync();
            CopyingBackend = await Poll.UntilAsync(() => ScalarAsync<int?>(database,
                    "SELECT pid FROM pg_stat_progress_copy WHERE relid = 'upload_chunks'::regclass AND tuples_processed >= 2 LIMIT 1"),
                pid => pid is not null, "the server to copy two pieces of the upload", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
            throw new IOException("The client gave up mid-upload.");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

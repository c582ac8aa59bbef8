using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

/// <summary>Training data uploaded through the API and named by id in a run: checked at upload, listed without its path, kept while a run names it.</summary>
[NeedsDatabase]
public sealed class TrainingDataFileTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string ChatLines(int count) => string.Join('\n', Enumerable.Range(0, count).Select(i => JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "user", content = $"Question {i}?" }, new { role = "assistant", content = $"Answer {i}." } },
    }))) + "\n";

    private static MultipartFormDataContent Form(byte[] content, string fileName) =>
        new() { { new ByteArrayContent(content), "file", fileName } };

    private static async Task<JsonElement> UploadAsync(HttpClient client, byte[] content, string fileName)
    {
        var response = await client.PostAsync("/api/training/data-files", Form(content, fileName), Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static async Task<string> RefusalAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return problem.GetProperty("errors").GetProperty(field)[0].GetString()!;
    }

    private async Task<bool> StoredAsync(string fileName)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        return await db.TrainingDataFiles.AnyAsync(f => f.FileName == fileName, Ct);
    }

    [Fact]
    public async Task Upload_GzippedChat_ListedByIdThenRunNamesItByIdAndTheFileCannotBeDeletedUnderIt()
    {
        using var client = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);
        using var gz = new MemoryStream();
        await using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(Encoding.UTF8.GetBytes(ChatLines(5)));
        var name = $"chat-{Guid.NewGuid():N}.jsonl.gz";

        var stored = await UploadAsync(client, gz.ToArray(), name);

        var id = stored.GetProperty("id").GetInt64();
        Assert.Equal((name, 5, gz.Length), (stored.GetProperty("fileName").GetString(), stored.GetProperty("samples").GetInt32(), stored.GetProperty("sizeBytes").GetInt64()));
        var listed = (await client.GetFromJsonAsync<List<JsonElement>>("/api/training/data-files", Ct))!.Single(f => f.GetProperty("id").GetInt64() == id);
        Assert.False(listed.TryGetProperty("storedPath", out _));
        Assert.DoesNotContain("data-files", listed.ToString());

        var created = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name = $"uploaded-data-{Guid.NewGuid():N}", external = true, dataFileIds = new[] { new { id, weight = 2.5 } },
            stages = new[] { new { maxLength = 16, ropeTheta = 100.0, steps = 1, learningRate = 1e-3 } },
        }, Ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var run = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var data = run.GetProperty("spec").GetProperty("data").EnumerateArray().Single();
        Assert.Equal(2.5, data.GetProperty("weight").GetDouble());
        var path = data.GetProperty("path").GetString()!;
        Assert.EndsWith(".jsonl.gz", path);
        Assert.Equal(5, (await new ChatJsonlSampleSource(path).LoadAsync(Ct)).Count);

        var refused = await client.DeleteAsync($"/api/training/data-files/{id}", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains($"#{run.GetProperty("run").GetProperty("id").GetInt64()}", await refused.Content.ReadAsStringAsync(Ct));
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task Delete_FileNoRunNames_RemovesRowAndFile()
    {
        using var client = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);
        var id = (await UploadAsync(client, Encoding.UTF8.GetBytes(ChatLines(2)), "two.jsonl")).GetProperty("id").GetInt64();
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var path = (await db.TrainingDataFiles.SingleAsync(f => f.Id == id, Ct)).StoredPath;

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/training/data-files/{id}", Ct)).StatusCode);

        Assert.False(File.Exists(path));
        Assert.False(await db.TrainingDataFiles.AnyAsync(f => f.Id == id, Ct));
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/training/data-files/{id}", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("notes.txt", "{\"text\": \"a\"}\n", "is not a .jsonl or .jsonl.gz file")]
    [InlineData("bad.jsonl", "{\"text\": \"a\"}\n{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]\n", "bad.jsonl line 2 is not JSON")]
    [InlineData("turns.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": 5}, {\"role\": \"assistant\", \"content\": \"a\"}]}\n", "turns.jsonl line 1: every message needs")]
    [InlineData("last.jsonl", "{\"text\": \"a\"}\n{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]}\n", "last.jsonl line 2: the last message must be the assistant's response")]
    [InlineData("empty.jsonl", "\n\n", "empty.jsonl holds no samples")]
    public async Task Upload_FileTheTrainerCannotRead_RefusedWithTheLineAndNothingKept(string fileName, string content, string reason)
    {
        using var client = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);
        // Unique per call (other classes upload at the same time); the reason names the file as the user did.
        var unique = $"{Guid.NewGuid():N}-{fileName}";

        var message = await RefusalAsync(await client.PostAsync("/api/training/data-files", Form(Encoding.UTF8.GetBytes(content), unique), Ct), "file");

        Assert.Contains(reason.Replace(fileName, unique), message);
        Assert.False(await StoredAsync(unique));
        var folder = Path.Combine(app.StorageRoot, "data-files");
        Assert.Empty(Directory.Exists(folder) ? Directory.GetFiles(folder, "*.partial.*") : []);
    }

    [Fact]
    public async Task NewRun_UnknownDataFileId_RefusedOnTheField()
    {
        using var client = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);

        var message = await RefusalAsync(await client.PostAsJsonAsync("/api/training/runs", new
        {
            name = "unknown-data", dataFileIds = new[] { new { id = long.MaxValue, weight = 1.0 } },
            stages = new[] { new { maxLength = 16, ropeTheta = 100.0, steps = 1, learningRate = 1e-3 } },
        }, Ct), "dataFileIds");

        Assert.Equal($"Uploaded data file #{long.MaxValue} does not exist.", message);
    }

    [Fact]
    public async Task Upload_Viewer_Forbidden()
    {
        using var client = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);
        var name = $"viewer-{Guid.NewGuid():N}.jsonl";

        var response = await client.PostAsync("/api/training/data-files", Form(Encoding.UTF8.GetBytes(ChatLines(1)), name), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(await StoredAsync(name));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/training/data-files", Ct)).StatusCode);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Jobs.Storage;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Storage;

/// <summary>Paths the API takes go through the sandbox: the suite allows its runs folder and the temp folder only.</summary>
[NeedsDatabase]
public sealed class ServerPathsApiTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("/root/.ssh")]
    [InlineData("/proc/self")]
    [InlineData("/tmp/../etc")]
    public async Task CreateEndpoint_FolderOutsideRoots_OneGenericError(string folder)
    {
        using var client = await app.CreateSignedInClientAsync();
        var response = await client.PostAsJsonAsync("/api/endpoints", new { name = $"p-{Guid.NewGuid():N}"[..20], kind = 2, checkpointPath = folder }, Ct);
        var errors = await ErrorsAsync(response);
        Assert.Equal(ServerPaths.Refusal(ServerPathKind.Folder), errors.GetProperty("checkpointPath")[0].GetString());
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/etc/passwd")]
    [InlineData("/proc/self/environ")]
    public async Task CreateTrainingRun_DataFileOutsideRoots_OneGenericError(string file)
    {
        using var client = await app.CreateSignedInClientAsync();
        var response = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name = "escape", data = new[] { new { path = file, weight = 1.0 } },
            stages = new[] { new { maxLength = 64, ropeTheta = 10000.0, steps = 1, learningRate = 1e-3 } },
        }, Ct);
        var errors = await ErrorsAsync(response);
        Assert.Equal(ServerPaths.Refusal(ServerPathKind.File), errors.GetProperty("data")[0].GetString());
        Assert.False(errors.TryGetProperty("base", out _));
    }

    [Fact]
    public async Task Estimate_PresetOnBaseOutsideRoots_RefusedBeforeReadingIt()
    {
        using var client = await app.CreateSignedInClientAsync();
        var response = await client.PostAsJsonAsync("/api/training/estimate", new { name = "escape", @base = "/etc", preset = new { name = "paper" } }, Ct);
        var errors = await ErrorsAsync(response);
        Assert.Equal(ServerPaths.Refusal(ServerPathKind.Folder), errors.GetProperty("base")[0].GetString());
    }
}

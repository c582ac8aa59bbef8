using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Api;

/// <summary>Enums are read by the names responses write, and a request that cannot be read says which field is wrong.</summary>
[NeedsDatabase]
public sealed class ApiRequestsTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Name() => $"enum-{Guid.NewGuid():N}"[..20];

    private static async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
    }

    [Fact]
    public async Task CreateEndpoint_KindByNameOrNumber_AcceptedAndReturnedByName()
    {
        using var client = await app.CreateSignedInClientAsync();
        var byName = await client.PostAsJsonAsync("/api/endpoints", new { name = Name(), kind = "OpenAiCompatible", baseUrl = "http://127.0.0.1:9/v1", model = "m" }, Ct);
        var byNumber = await client.PostAsJsonAsync("/api/endpoints", new { name = Name(), kind = 0, baseUrl = "http://127.0.0.1:9/v1", model = "m" }, Ct);
        var local = await client.PostAsJsonAsync("/api/endpoints", new { name = Name(), kind = "LocalCheckpoint" }, Ct);

        Assert.Equal(HttpStatusCode.Created, byName.StatusCode);
        Assert.Equal(HttpStatusCode.Created, byNumber.StatusCode);
        Assert.Equal("OpenAiCompatible", (await byName.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("kind").GetString());
        Assert.Equal("OpenAiCompatible", (await byNumber.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("kind").GetString());
        // Read as a local checkpoint: the folder is what is missing.
        Assert.Contains("checkpoint folder", (await ErrorsAsync(local)).GetProperty("checkpointPath")[0].GetString());
    }

    [Fact]
    public async Task CreateEndpoint_UnknownKindName_ErrorNamesTheField()
    {
        using var client = await app.CreateSignedInClientAsync();
        var response = await client.PostAsJsonAsync("/api/endpoints", new { name = Name(), kind = "Telepathy" }, Ct);
        var errors = await ErrorsAsync(response);
        Assert.Equal(["kind"], errors.EnumerateObject().Select(p => p.Name));
        Assert.Contains("'kind'", errors.GetProperty("kind")[0].GetString());
    }

    [Fact]
    public async Task CreateTrainingRun_WrongTypeDeepInBody_ErrorNamesThePath()
    {
        using var client = await app.CreateSignedInClientAsync();
        var response = await client.PostAsJsonAsync("/api/training/runs", new
        {
            name = "typed", stages = new[] { new { maxLength = 64, ropeTheta = 10000.0, steps = "many", learningRate = 1e-3 } },
        }, Ct);
        var errors = await ErrorsAsync(response);
        Assert.True(errors.TryGetProperty("stages[0].steps", out _), errors.ToString());
    }

    [Fact]
    public async Task Requests_NotJsonOrBadQuery_ErrorHasABody()
    {
        using var client = await app.CreateSignedInClientAsync();
        var notJson = await client.PostAsync("/api/endpoints", new StringContent("{name: oops", Encoding.UTF8, "application/json"), Ct);
        var noBody = await client.PostAsync("/api/endpoints", new StringContent("", Encoding.UTF8, "application/json"), Ct);
        var badQuery = await client.GetAsync("/api/training/runs?skip=lots", Ct);

        Assert.True((await ErrorsAsync(notJson)).TryGetProperty("body", out _));
        Assert.Equal(["input"], (await ErrorsAsync(noBody)).EnumerateObject().Select(p => p.Name));
        Assert.Equal(["skip"], (await ErrorsAsync(badQuery)).EnumerateObject().Select(p => p.Name));
    }
}

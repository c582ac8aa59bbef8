using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

/// <summary>RULER's QA data sets uploaded through the REST API: stored as sent, counted, and refused with the reason when they are not what they say.</summary>
[NeedsDatabase]
public sealed class QaDatasetUploadTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UploadSquad_SignedInAdmin_StoresTheFileAndCountsItsAnswerableQuestions()
    {
        using var admin = await app.CreateSignedInClientAsync();
        var name = $"dev-v2.0-{Guid.NewGuid():N}.json";

        var response = await admin.PostAsync("/api/evaluations/qa-datasets/squad", Form(RulerFixtures.SquadJson, name), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // q1 and q3 have answers; q2 is marked impossible and the filler paragraphs ask nothing.
        Assert.Equal(2, await response.Content.ReadFromJsonAsync<int>(Ct));
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var stored = await db.QaDatasetFiles.SingleAsync(f => f.FileName == name, Ct);
        Assert.Equal(("squad", 2), (stored.Kind, stored.Questions));
        await using var gzip = new GZipStream(new MemoryStream(stored.CompressedJson), CompressionMode.Decompress);
        Assert.Equal(RulerFixtures.SquadJson, await new StreamReader(gzip, Encoding.UTF8).ReadToEndAsync(Ct));
    }

    [Fact]
    public async Task Upload_WrongShapeUnknownKindOrNoRight_RefusedAndNothingStored()
    {
        using var admin = await app.CreateSignedInClientAsync();
        var name = $"not-squad-{Guid.NewGuid():N}.json";

        var wrong = await admin.PostAsync("/api/evaluations/qa-datasets/squad", Form("[1, 2, 3]", name), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains($"{name} is not a SQuAD v2 JSON file", await wrong.Content.ReadAsStringAsync(Ct));

        var none = await admin.PostAsync("/api/evaluations/qa-datasets/hotpotqa", Form("[]", name), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Contains($"{name} has no answerable questions.", await none.Content.ReadAsStringAsync(Ct));

        var kind = await admin.PostAsync("/api/evaluations/qa-datasets/trivia", Form(RulerFixtures.SquadJson, name), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        Assert.Contains("Use squad or hotpotqa.", await kind.Content.ReadAsStringAsync(Ct));

        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/evaluations/qa-datasets/squad", Form(RulerFixtures.SquadJson, name), Ct)).StatusCode);
        using var anonymous = app.CreatePlainClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/evaluations/qa-datasets/squad", Form(RulerFixtures.SquadJson, name), Ct)).StatusCode);

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        Assert.False(await db.QaDatasetFiles.AnyAsync(f => f.FileName == name, Ct));
    }

    private static MultipartFormDataContent Form(string json, string fileName) =>
        new() { { new ByteArrayContent(Encoding.UTF8.GetBytes(json)), "file", fileName } };
}

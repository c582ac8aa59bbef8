using System.Globalization;
using System.Net;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

/// <summary>`perplexity-positions.csv`: loss by position at the longest length, as stored, for a signed-in viewer only.</summary>
[NeedsDatabase]
public sealed class PerplexityDownloadsTests(AppFixture app) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("selflong-ppl-csv-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task PositionsCsv_SignedInViewer_StoredBucketsAtTheLongestLength_AveragingToItsLoss()
    {
        var ct = TestContext.Current.CancellationToken;
        PerplexityEvaluationTests.SaveTinyCheckpoint(folder, maxPositions: 32, seed: 44);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var name = $"ppl-csv-{Guid.NewGuid():N}";
        var run = await evaluations.CreatePerplexityAsync(name, PerplexityEvaluationTests.Local(folder), new PerplexitySettings { Lengths = [16, 32, 64], Windows = 2 }, ct);
        await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var longest = Assert.Single(await evaluations.PerplexityLengthsAsync(run.Id, ct), r => r.ContextLength == 64);
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);

        var response = await viewer.GetAsync($"/api/evaluations/perplexity-positions.csv?ids={run.Id}", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(ct)).Trim().Split('\n');
        Assert.Equal("run_id,run_name,context_length,position_from,position_to,mean_nll,perplexity", lines[0]);
        var rows = lines[1..].Select(l => l.Split(',')).ToList();
        Assert.All(rows, r => Assert.Equal([$"{run.Id}", $"\"{name}\"", "64"], r[..3]));
        // Buckets from position 0 to the length, end to start, each as stored.
        Assert.Equal(longest.BucketEnds, rows.Select(r => int.Parse(r[4], CultureInfo.InvariantCulture)));
        Assert.Equal(new[] { 0 }.Concat(longest.BucketEnds.SkipLast(1)), rows.Select(r => int.Parse(r[3], CultureInfo.InvariantCulture)));
        Assert.Equal(64, longest.BucketEnds[^1]);
        var nll = rows.Select(r => double.Parse(r[5], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(longest.BucketMeanNlls, nll);
        Assert.All(rows, r => Assert.Equal(Math.Exp(double.Parse(r[5], CultureInfo.InvariantCulture)), double.Parse(r[6], CultureInfo.InvariantCulture), 1e-9));
        // Every position is scored once per window: the buckets, weighted by width, average to the length's loss.
        var weighted = rows.Sum(r => (int.Parse(r[4], CultureInfo.InvariantCulture) - int.Parse(r[3], CultureInfo.InvariantCulture)) * double.Parse(r[5], CultureInfo.InvariantCulture)) / 64;
        Assert.Equal(longest.MeanNll, weighted, 1e-5);

        using var anonymous = app.CreatePlainClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/evaluations/perplexity-positions.csv?ids={run.Id}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/evaluations/perplexity-positions.csv?ids=987654321", ct)).StatusCode);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Telemetry;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;

namespace SelfLong.Tests.Telemetry;

/// <summary>
/// A real request to the suite app's REST API, traced by the app's own registration: ASP.NET Core's
/// server span, and the jobs and model calls the request led to, tied to it.
/// </summary>
[NeedsDatabase]
[Collection(TelemetryCollection.Name)]
public sealed class RequestTelemetryTests(AppFixture app) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string tokenizer = Directory.CreateTempSubdirectory("selflong-request-trace-").FullName;

    public void Dispose() => Directory.Delete(tokenizer, recursive: true);

    [Fact]
    public async Task StartSynthesisThroughTheApi_ServerSpanHoldsTheRequestsCommandsAndEverySampleJobLinksToIt()
    {
        var (corpusId, _) = await app.HandMadeAsync();
        using var capture = new TelemetryCapture();
        await using var server = await OpenAiTestServer.StartAsync();
        using var client = await app.CreateSignedInClientAsync();
        var endpointName = $"trace-{Guid.NewGuid():N}"[..20];
        var endpoint = await client.PostAsJsonAsync("/api/endpoints", new
        {
            name = endpointName, kind = 0, baseUrl = server.V1, model = "test-model", contextWindow = 8192, maxConcurrency = 2, timeoutSeconds = 10,
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, endpoint.StatusCode);
        ByteTokenizer.WriteMarker(tokenizer);

        var response = await client.PostAsJsonAsync("/api/synthesis/runs", new
        {
            name = $"traced {Guid.NewGuid():N}", corpusId, sampleCount = 2, endpointName, seed = 5,
            settings = new
            {
                minTargetTokens = 2_000, maxTargetTokens = 4_000, topK = 4, chunkTokens = 256, summaryTokens = 64, responseTokens = 64,
                longOutputFraction = 0, targetTokenizer = tokenizer,
            },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var run = await Poll.UntilAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/synthesis/runs/{id}", Ct),
            r => r.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Cancelled", $"synthesis run {id} to finish",
            describe: r => r.GetProperty("status").GetString()!);
        Assert.Equal("Succeeded", run.GetProperty("status").GetString());

        var spans = capture.Spans;
        var request = Assert.Single(spans, s => s.Kind == ActivityKind.Server && Equals(s.GetTagItem("http.route"), "/api/synthesis/runs")
            && Equals(s.GetTagItem("http.request.method"), "POST"));
        Assert.Equal("Microsoft.AspNetCore", request.Source.Name);
        Assert.Equal(201, request.GetTagItem("http.response.status_code"));
        // The request's own reads and writes (the run stored, its samples queued) are inside its trace.
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.TraceId == request.TraceId);
        // The run started inside the request: its row names the request's trace.
        var row = await app.Services.GetRequiredService<SelfLong.Jobs.Synthesis.SynthesisRunService>().FindAsync(id, Ct);
        Assert.Equal(request.TraceId.ToHexString(), row!.TraceId);

        // Each sample's job is a trace of its own that links back to the request that queued it.
        var jobs = spans.Where(s => s.Source.Name == JobTracing.Name && s.DisplayName == "SynthesisSampleJob.RunAsync"
            && Equals(s.GetTagItem(JobTracing.RunId), id)).ToList();
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.Contains(j.Links, l => l.Context.TraceId == request.TraceId && l.Context.SpanId == request.SpanId));
        // Every model call the run made sits in one of those jobs' traces, none in the request's.
        var calls = spans.Where(s => s.Source.Name == ModelCallTelemetry.Name && Equals(s.GetTagItem(ModelCallTelemetry.Endpoint), endpointName)).ToList();
        Assert.NotEmpty(calls);
        Assert.True(server.RequestCount >= calls.Count(c => Equals(c.GetTagItem(ModelCallTelemetry.CacheHit), false)));
        var jobTraces = jobs.Select(j => j.TraceId).ToHashSet();
        Assert.All(calls, c => Assert.Contains(c.TraceId, jobTraces));
    }
}

using System.Net;
using System.Net.Http.Json;
using Hangfire;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.SystemChecks;

namespace SelfLong.Tests.Foundation;

[NeedsDatabase]
public sealed class HangfireJobTests(AppFixture app)
{
    [Fact]
    public async Task PostSystemCheck_SignedIn_RunsOnInProcessServerWithPostgresStorage()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();

        var created = await client.PostAsync("/api/system/checks", null, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var check = (await created.Content.ReadFromJsonAsync<SystemCheckEndpoints.SystemCheckDto>(ct))!;
        Assert.NotNull(check.HangfireJobId);

        var id = check.Id;
        check = await Poll.UntilAsync(async () => (await client.GetFromJsonAsync<SystemCheckEndpoints.SystemCheckDto>($"/api/system/checks/{id}", ct))!,
            c => c.Status is not ("Queued" or "Running"), $"system check {id} to finish", describe: c => c.Status);

        Assert.Equal("Succeeded", check.Status);
        // The device the worker would train on: the CUDA device where there is one, the CPU otherwise.
        Assert.Equal(SelfLong.Jobs.Models.TorchDevices.Preferred().type.ToString().ToLowerInvariant(), check.Device);
        // Hangfire's own PostgreSQL storage records the job as succeeded once the job method returns.
        var monitor = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        await Poll.UntilAsync(() => Task.FromResult(monitor.JobDetails(check.HangfireJobId).History[0].StateName), state => state == "Succeeded",
            $"Hangfire job {check.HangfireJobId} to be recorded as succeeded");
    }

    [Fact]
    public async Task PostSystemCheck_Anonymous_Returns401()
    {
        using var client = app.CreateClient();
        var response = await client.PostAsync("/api/system/checks", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Text;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// Runs one sample of a run and stores it exactly once. A sample whose endpoint stayed down past
/// the model-call policy is recorded as failed with its error and tried again later, with a
/// growing wait, up to <see cref="SynthesisOptions.SampleAttempts"/>: one bad stretch of an
/// endpoint does not leave a run of thousands of samples with holes for the user to resume.
/// </summary>
public sealed class SynthesisExecutor(
    IDbContextFactory<SelfLongDbContext> dbFactory, SampleSynthesizer synthesizer, SynthesisModelFactory models,
    ProgressPublisher progress, ILogger<SynthesisExecutor> logger, ISampleJobQueue queue, IOptions<SynthesisOptions> options)
{
    /// <param name="retries">Where a failed sample's next attempt goes; the registered queue (Hangfire) unless given.</param>
    public async Task RunSampleAsync(long runId, int index, CancellationToken ct, ISampleJobQueue? retries = null)
    {
        SynthesisRun? run;
        Data.Endpoints.ModelEndpoint? endpoint;
        int attempt;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.SynthesisRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
            // Paused and cancelled runs leave their queued samples alone; resume enqueues them again.
            if (run is not { Status: RunStatus.Running }) return;
            var earlier = await db.SynthesisSamples.Where(s => s.RunId == runId && s.Index == index)
                .Select(s => new { s.Status, s.Attempts }).SingleOrDefaultAsync(ct);
            if (earlier is { Status: SampleStatus.Completed }) return;
            attempt = (earlier?.Attempts ?? 0) + 1;
            endpoint = await db.ModelEndpoints.AsNoTracking().SingleAsync(e => e.Id == run.EndpointId, ct);
        }

        var settings = SynthesisSettings.FromJson(run.SettingsJson);
        var stats = new SynthesisCallStats();
        Sample sample;
        try
        {
            var model = models.Create(endpoint, run, settings, stats, index);
            // Inside the try: a tokenizer folder removed since the run was created fails the sample, with the reason.
            var target = TokenCounters.Resolve(settings.TargetTokenizer);
            sample = await synthesizer.SynthesizeAsync(new SynthesisContext(run.CorpusId, run.Seed, settings, model, target), index, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Sample {Index} of run {Run} failed: {Error}", index, runId, ex.Message);
            sample = new Sample { Index = index, Status = SampleStatus.Failed, Error = Truncate(ex.Message, 4000) };
            // Only an endpoint that was down is worth waiting for; a refusal or a bad setting fails the same way again.
            if (ex is ModelCallFailedException { EndpointDown: true } && attempt < options.Value.SampleAttempts)
                sample.RetryAt = DateTimeOffset.UtcNow + options.Value.DelayBefore(attempt + 1);
        }
        sample.RunId = runId;
        sample.Attempts = attempt;
        sample.LlmCalls = stats.Calls;
        sample.CacheHits = stats.CacheHits;
        if (sample.RetryAt is { } due)
        {
            // Scheduled before the failure is stored: a process that dies in between leaves a retry
            // that finds nothing, or a completed sample, to change, never a run waiting on a retry no one will run.
            (retries ?? queue).Schedule(runId, index, due - DateTimeOffset.UtcNow);
            logger.LogWarning("Sample {Index} of run {Run} is tried again at {Due:u} (attempt {Next} of {Attempts}).",
                index, runId, due, attempt + 1, options.Value.SampleAttempts);
        }
        await StoreAsync(sample, stats);
        await TryCompleteAsync(runId);
        progress.Publish(ProgressFeatures.Synthesis, runId);
    }

    /// <summary>
    /// Inserts the sample; a failed row for the index makes way for a completed one, and a
    /// completed row is never replaced (another worker got there first).
    /// </summary>
    private async Task StoreAsync(Sample sample, SynthesisCallStats stats)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var existing = await db.SynthesisSamples.SingleOrDefaultAsync(s => s.RunId == sample.RunId && s.Index == sample.Index);
        if (existing is { Status: SampleStatus.Completed }) return;
        if (existing is not null)
        {
            sample.Id = existing.Id;
            db.Entry(existing).CurrentValues.SetValues(sample);
        }
        else
        {
            db.SynthesisSamples.Add(sample);
        }
        try
        {
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return;
        }
        await db.SynthesisRuns.Where(r => r.Id == sample.RunId).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.LlmCalls, r => r.LlmCalls + stats.Calls - stats.CacheHits)
            .SetProperty(r => r.CacheHits, r => r.CacheHits + stats.CacheHits)
            .SetProperty(r => r.PromptTokens, r => r.PromptTokens + stats.PromptTokens)
            .SetProperty(r => r.CompletionTokens, r => r.CompletionTokens + stats.CompletionTokens));
        await transaction.CommitAsync();
    }

    /// <summary>The run is complete once every index has a row, completed or failed for good (no retry due).</summary>
    public async Task TryCompleteAsync(long runId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.SynthesisRuns
            .Where(r => r.Id == runId && r.Status == RunStatus.Running
                && db.SynthesisSamples.Count(s => s.RunId == runId && s.RetryAt == null) >= r.SampleCount)
            .ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Status, RunStatus.Succeeded)
                .SetProperty(r => r.CompletedAt, DateTimeOffset.UtcNow));
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}

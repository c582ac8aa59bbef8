using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Text;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Synthesis;

/// <summary>Runs one sample of a run and stores it exactly once.</summary>
public sealed class SynthesisExecutor(
    IDbContextFactory<SelfLongDbContext> dbFactory, SampleSynthesizer synthesizer, SynthesisModelFactory models,
    ProgressPublisher progress, ILogger<SynthesisExecutor> logger)
{
    public async Task RunSampleAsync(long runId, int index, CancellationToken ct)
    {
        SynthesisRun? run;
        Data.Endpoints.ModelEndpoint? endpoint;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.SynthesisRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
            // Paused and cancelled runs leave their queued samples alone; resume enqueues them again.
            if (run is not { Status: RunStatus.Running }) return;
            if (await db.SynthesisSamples.AnyAsync(s => s.RunId == runId && s.Index == index && s.Status == SampleStatus.Completed, ct)) return;
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
        }
        sample.RunId = runId;
        sample.LlmCalls = stats.Calls;
        sample.CacheHits = stats.CacheHits;
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

    /// <summary>The run is complete once every index has a row (completed or failed).</summary>
    public async Task TryCompleteAsync(long runId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.SynthesisRuns
            .Where(r => r.Id == runId && r.Status == RunStatus.Running
                && db.SynthesisSamples.Count(s => s.RunId == runId) >= r.SampleCount)
            .ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Status, RunStatus.Succeeded)
                .SetProperty(r => r.CompletedAt, DateTimeOffset.UtcNow));
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}

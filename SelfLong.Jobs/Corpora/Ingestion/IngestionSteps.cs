using System.Diagnostics;
using System.Globalization;
using SelfLong.Jobs.Telemetry;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// Where an ingestion's time goes: each step is timed for the run's closing log line and is a span
/// ("ingestion {step}", <see cref="JobTracing.StartStep"/>) when traces are collected; `bench corpus`
/// reads the spans. What to tune (batch sizes, HNSW settings) is read from here.
/// </summary>
public sealed class IngestionSteps(long? runId)
{
    public const string Kind = "ingestion";
    public const string Store = "store", Statistics = "statistics and common words", TextIndex = "full-text index",
        VectorIndex = "HNSW index", Tuning = "ef_search tuning";

    private readonly List<(string Step, double Seconds)> steps = [];

    public async Task<T> TimeAsync<T>(string step, Func<Task<T>> work)
    {
        using var span = JobTracing.StartStep(Kind, step, runId);
        var watch = Stopwatch.StartNew();
        try
        {
            return await work();
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            // Two steps may run at once (LoadIndexes).
            lock (steps) steps.Add((step, watch.Elapsed.TotalSeconds));
        }
    }

    public Task TimeAsync(string step, Func<Task> work) => TimeAsync(step, async () =>
    {
        await work();
        return true;
    });

    /// <summary>"store 2.31 s, statistics and common words 0.12 s, ..." in the order the steps ended.</summary>
    public override string ToString()
    {
        lock (steps) return string.Join(", ", steps.Select(s => $"{s.Step} {s.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s"));
    }
}

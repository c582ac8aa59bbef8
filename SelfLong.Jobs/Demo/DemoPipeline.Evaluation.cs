using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Text;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.Drills;

namespace SelfLong.Jobs.Demo;

/// <summary>The demo's last step: perplexity, NIAH and RULER for every stage and the theta-only control.</summary>
public sealed partial class DemoPipeline
{
    /// <summary>Runs every evaluation; returns what did not finish, or null.</summary>
    private async Task<string?> EvaluateAsync(long demoId, IReadOnlyList<DemoTarget> stages, string runFolder, Action<string>? report, CancellationToken ct)
    {
        var maxLength = Options.NiahLengths.Max();
        // Both grids lie within what every checkpoint is asked to take, so no evaluation is empty.
        var reach = Math.Max(maxLength, Options.RulerLengths.Max());
        List<DemoTarget> targets = [ThetaOnlyControl(stages[0], stages[^1], runFolder), .. stages];

        await StepAsync(demoId, "perplexity", "Measuring perplexity by position on held-out text for every checkpoint", report, ct);
        var heldOut = HeldOutText.Bundled();
        var curves = new List<PerplexityCurve>();
        var chatOverhead = 0;
        foreach (var target in targets)
        {
            using var checkpoint = LocalCheckpoint.Load(target.Folder);
            chatOverhead = Math.Max(chatOverhead, checkpoint.ChatOverheadTokens);
            // One window at the longest NIAH length, bucketed from half the first stage's length.
            var point = await Task.Run(() => PerplexityByLength.Measure(checkpoint, checkpoint.Encode(heldOut), maxLength, 1, Options.FirstLength / 2, ct), ct);
            curves.Add(new PerplexityCurve(target.Name, checkpoint.MaxPositionEmbeddings, checkpoint.RopeTheta, point.Buckets));
        }
        await UpdateAsync(demoId, d => d.PerplexityJson = PerplexityCurve.ToJson(curves), ct);
        foreach (var curve in curves)
            report?.Invoke($"  {curve.Name}: perplexity by position " + string.Join(", ", curve.Buckets.Select(b => $"[{b.From},{b.To}) {b.Perplexity:F2}")));

        await StepAsync(demoId, "evaluate", $"Evaluating {stages.Count} stage checkpoints and the theta-only control (NIAH with the demo's pass key, and RULER)", report, ct);
        var rulerTasks = Options.RulerTaskNames(chatOverhead);
        var niah = new List<long>();
        var ruler = new List<long>();
        foreach (var target in targets)
        {
            var request = new EvaluationTargetRequest(EvaluationTargetKind.LocalCheckpoint, target.Folder, "selflong-tiny", null, "llama-3",
                reach, TrainingLength: target.TrainedLength, Tokenizer: TokenCounters.Bytes);
            niah.Add((await evaluation.CreateNiahAsync($"Demo {demoId} NIAH: {target.Name}", request,
                PassKeyNeedle.Settings(Options.NiahLengths, Options.NiahDepths), ct)).Id);
            ruler.Add((await evaluation.CreateRulerAsync($"Demo {demoId} RULER: {target.Name}", request,
                new RulerSettings { Lengths = Options.RulerLengths, Samples = Options.RulerSamples, Tasks = rulerTasks }, ct)).Id);
        }
        await UpdateAsync(demoId, d => { d.NiahRunIds = string.Join(",", niah); d.RulerRunIds = string.Join(",", ruler); }, ct);
        // An evaluation that fails (say a RULER task whose template alone exceeds a length) is
        // reported on its own page and here, but does not undo the rest of the demo.
        var failed = new List<string>();
        foreach (var id in niah.Concat(ruler))
        {
            var done = await WaitAsync(() => evaluation.FindAsync(id, ct), r => r!.Status is not (RunStatus.Queued or RunStatus.Running), ct);
            if (done!.Status != RunStatus.Succeeded) failed.Add($"{done.Name} ended {done.Status}: {done.Message}");
            else if (niah.Contains(id)) report?.Invoke($"  {done.Name}: {await NiahSummaryAsync(id, ct)}");
        }
        if (failed.Count == niah.Count + ruler.Count) throw new InvalidOperationException(string.Join(" ", failed));
        return failed.Count > 0 ? string.Join(" ", failed) : null;
    }

    /// <summary>Mean pass-key recall per length, for the command line.</summary>
    private async Task<string> NiahSummaryAsync(long runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var cells = await db.NiahCells.AsNoTracking().Where(c => c.RunId == runId).ToListAsync(ct);
        return string.Join(", ", cells.GroupBy(c => c.ContextLength).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} bytes {g.Average(c => c.Score):P0}"));
    }

    /// <summary>
    /// The paper's "RoPE theta raised, no training" ablation: the first stage's weights with the last
    /// stage's theta, saved beside it.
    /// </summary>
    private static DemoTarget ThetaOnlyControl(DemoTarget first, DemoTarget last, string runFolder)
    {
        var folder = Path.Combine(runFolder, "stage-1-theta-only");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(first.Folder)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        var config = CheckpointFolder.LoadConfig(folder);
        config.RopeTheta = last.RopeTheta;
        File.WriteAllText(Path.Combine(folder, CheckpointFolder.ConfigFile), config.ToJson());
        return new DemoTarget($"theta {last.RopeTheta:g} on stage 1, no training", folder, first.TrainedLength, last.RopeTheta);
    }
}

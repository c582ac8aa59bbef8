using SelfLong.Web.Features.Account;
using Microsoft.AspNetCore.Http.HttpResults;
using SelfLong.Data.Training;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.DataFiles;

namespace SelfLong.Web.Features.Training;

/// <summary>
/// REST API for training runs: list, read, create, cancel, resume, step metrics and checkpoints.
/// Stages are numbered from 1 here, as on the run page and in `./selflong train` output.
/// </summary>
public static class TrainingEndpoints
{
    /// <summary>
    /// A named schedule (<see cref="SchedulePresets.Names"/>) in place of explicit stages; <c>Stages</c>
    /// counts for "from-base" only (the paper's table has three).
    /// </summary>
    public sealed record PresetRequest(string? Name, int Stages = 3, int Steps = 200, double LearningRate = 1e-3);

    /// <summary>
    /// The fields of <see cref="TrainingRunSpec"/>, plus the run's name; omitted lists are empty.
    /// <c>BaseCheckpointId</c>: a training run's checkpoint (GET /api/training/runs/{id}/checkpoints) as
    /// the base, in place of a folder path in <c>Base</c>.
    /// <c>DataFileIds</c>: uploaded data files (GET /api/training/data-files) with their weights, beside
    /// or in place of server paths in <c>Data</c>.
    /// <c>External</c>: where it trains; true stores a run for an external trainer (Axolotl), never queued here.
    /// </summary>
    public sealed record NewRunRequest(string? Name, string? Base = null, IReadOnlyList<DataFileSpec>? Data = null,
        IReadOnlyList<SynthesisDataSpec>? SynthesisRuns = null, IReadOnlyList<CorpusTextSpec>? CorpusText = null,
        IReadOnlyList<NeedleDrillSpec>? NeedleDrills = null, IReadOnlyList<TrainingStage>? Stages = null, TrainingOptions? Options = null,
        PresetRequest? Preset = null, long? BaseCheckpointId = null, bool External = false, IReadOnlyList<UploadedDataSpec>? DataFileIds = null)
    {
        /// <summary>
        /// The request with what it names by id put in place: <c>Base</c> set to the picked
        /// checkpoint's folder, the uploaded files added to <c>Data</c>; or the errors by field.
        /// </summary>
        public async Task<(NewRunRequest Request, Dictionary<string, string[]> Errors)> WithReferencesAsync(
            TrainingRunService runs, TrainingDataFiles dataFiles, CancellationToken ct)
        {
            var request = this;
            var errors = new Dictionary<string, string[]>();
            if (BaseCheckpointId is { } id)
            {
                var (folder, error) = string.IsNullOrWhiteSpace(Base) ? await runs.CheckpointFolderAsync(id, ct) : (null, "Give base or baseCheckpointId, not both.");
                if (folder is null) errors["baseCheckpointId"] = [error!];
                else request = request with { Base = folder };
            }
            if (DataFileIds is { Count: > 0 } uploaded)
            {
                var (data, unknown) = await dataFiles.ResolveAsync(uploaded, ct);
                if (unknown.Count > 0) errors[TrainingDataFiles.Field] = [.. unknown.Select(e => e.Message)];
                else request = request with { Data = [.. Data ?? [], .. data] };
            }
            return (request, errors);
        }

        /// <summary>JSON nulls inside the lists (e.g. "stages": [null]), which the spec cannot hold.</summary>
        public Dictionary<string, string[]> EmptyEntries()
        {
            var errors = new Dictionary<string, string[]>();
            void Check<T>(string field, IReadOnlyList<T>? list)
            {
                var empty = list?.Select((x, i) => (x, i)).Where(p => p.x is null).Select(p => $"Entry {p.i + 1} is empty.").ToArray() ?? [];
                if (empty.Length > 0) errors[field] = empty;
            }
            Check("data", Data);
            Check(TrainingDataFiles.Field, DataFileIds);
            Check("synthesisRuns", SynthesisRuns);
            Check("corpusText", CorpusText);
            Check("needleDrills", NeedleDrills);
            Check("stages", Stages);
            return errors;
        }

        /// <summary>
        /// The spec, its stages filled from <see cref="Preset"/> when one is named (the base's config
        /// read through the sandbox); or the errors by field.
        /// </summary>
        public (TrainingRunSpec? Spec, Dictionary<string, string[]> Errors) Resolve(
            Func<TrainingRunSpec, (SelfLong.Jobs.Models.LlamaConfig? Config, string? Error)> readBaseConfig)
        {
            if (EmptyEntries() is { Count: > 0 } empty) return (null, empty);
            var spec = ToSpec();
            if (Preset is null) return (spec, []);
            if (Stages is { Count: > 0 })
                return (null, new() { ["preset"] = ["Give stages or a preset, not both."] });
            var (config, error) = readBaseConfig(spec);
            if (config is null) return (null, new() { ["base"] = [error!] });
            try
            {
                return (spec with { Stages = SchedulePresets.Build(Preset.Name ?? "", config, Preset.Stages, Preset.Steps, Preset.LearningRate).Stages }, []);
            }
            catch (ArgumentException e)
            {
                return (null, new() { ["preset"] = [e.Message] });
            }
        }

        public TrainingRunSpec ToSpec() => new()
        {
            Base = string.IsNullOrWhiteSpace(Base) ? TrainingRunSpec.TinyBase : Base.Trim(),
            Data = Data ?? [],
            SynthesisRuns = SynthesisRuns ?? [],
            CorpusText = CorpusText ?? [],
            NeedleDrills = NeedleDrills ?? [],
            Stages = Stages ?? [],
            Options = Options ?? new TrainingOptions(),
        };
    }

    public sealed record RunDto(long Id, string Name, string Status, int CurrentStage, int CurrentStep, int TotalSteps, bool CancelRequested,
        string? Device, string? Message, string OutputDirectory, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
        TruncationDto Truncation, bool External);

    /// <summary>
    /// Samples longer than their stage so far: cut (document text from the middle; plain text from
    /// its end) with the tokens they lost, and skipped because what may not be cut did not fit.
    /// </summary>
    public sealed record TruncationDto(long CutSamples, long CutTokens, long TooLongSamples);

    /// <summary>A stage of the schedule and how many of its steps the run has done.</summary>
    public sealed record StageDto(int Stage, int MaxLength, double RopeTheta, int Steps, double LearningRate, int FirstStep, int LastStep, int CompletedSteps);

    public sealed record RunDetailDto(RunDto Run, TrainingRunSpec Spec, IReadOnlyList<StageDto> Stages);

    /// <summary>A new run as created, with the memory estimate and warnings it was accepted with.</summary>
    public sealed record CreatedRunDto(RunDto Run, TrainingRunSpec Spec, IReadOnlyList<StageDto> Stages, TrainingPreview Estimate);

    public sealed record RunPage(IReadOnlyList<RunDto> Items, int Total);

    public sealed record MetricDto(int Step, int Stage, double Loss, double LearningRate, double TokensPerSecond, long PeakMemoryBytes, double GradNorm);

    public sealed record CheckpointDto(long Id, string Path, int Step, int Stage, bool StageEnd, double RopeTheta, int MaxLength, DateTimeOffset CreatedAt);

    public static RunDto ToDto(TrainingRun r) =>
        new(r.Id, r.Name, r.Status.ToString(), r.CurrentStage + 1, r.CurrentStep, r.TotalSteps, r.CancelRequested, r.Device, r.Message,
            r.OutputDirectory, r.CreatedAt, r.StartedAt, r.CompletedAt, new TruncationDto(r.CutSamples, r.CutTokens, r.TooLongSamples), r.External);

    public static RunDetailDto ToDetail(TrainingRun run)
    {
        var spec = TrainingRunSpec.FromJson(run.SpecJson);
        var tokensPerStep = spec.Options.BatchSize * spec.Options.GradientAccumulation;
        var stages = new List<StageDto>();
        var before = 0;
        for (var i = 0; i < spec.Stages.Count; i++)
        {
            var s = spec.Stages[i];
            var count = s.StepCount(tokensPerStep);
            stages.Add(new StageDto(i + 1, s.MaxLength, s.RopeTheta, count, s.LearningRate, before + 1, before + count,
                Math.Clamp(run.CurrentStep - before, 0, count)));
            before += count;
        }
        return new RunDetailDto(ToDto(run), spec, stages);
    }

    public static CheckpointDto ToDto(TrainingCheckpoint c) =>
        new(c.Id, c.Path, c.GlobalStep, c.Stage + 1, c.StageEnd, c.RopeTheta, c.MaxLength, c.CreatedAt);

    public static IEndpointRouteBuilder MapTrainingEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/training").WithTags("Training").ReadsForViewersChangesForEditors();

        group.MapGet("/runs", async (TrainingRunService runs, int? skip, int? take, CancellationToken ct) =>
        {
            var (list, total) = await runs.ListAsync(Math.Max(0, skip ?? 0), Math.Clamp(take ?? 50, 1, 500), ct);
            return TypedResults.Ok(new RunPage([.. list.Select(ToDto)], total));
        });

        group.MapPost("/runs", CreateRunAsync).DisableAntiforgery();
        group.MapPost("/estimate", EstimateAsync).DisableAntiforgery();

        group.MapGet("/runs/{id:long}", async Task<Results<Ok<RunDetailDto>, NotFound>> (long id, TrainingRunService runs, CancellationToken ct) =>
            await runs.FindAsync(id, ct) is { } run ? TypedResults.Ok(ToDetail(run)) : TypedResults.NotFound());

        group.MapPost("/runs/{id:long}/cancel", async (long id, TrainingRunService runs, CancellationToken ct) =>
            await MovedAsync(id, runs, runs.CancelAsync, "Only a queued or running run can be cancelled.", ct)).DisableAntiforgery();
        group.MapPost("/runs/{id:long}/resume", async (long id, TrainingRunService runs, CancellationToken ct) =>
            await MovedAsync(id, runs, runs.ResumeAsync, "Only a cancelled or failed run can be resumed.", ct)).DisableAntiforgery();

        // `after`: only steps after this one, so a poller asks for what it has not seen yet.
        group.MapGet("/runs/{id:long}/metrics", async Task<Results<Ok<List<MetricDto>>, NotFound>> (long id, int? after, TrainingRunService runs, CancellationToken ct) =>
        {
            if (await runs.FindAsync(id, ct) is null) return TypedResults.NotFound();
            var metrics = await runs.MetricsAsync(id, Math.Max(0, after ?? 0), ct);
            return TypedResults.Ok(metrics.Select(m => new MetricDto(m.GlobalStep, m.Stage + 1, m.Loss, m.LearningRate, m.TokensPerSecond, m.PeakMemoryBytes, m.GradNorm)).ToList());
        });

        group.MapGet("/runs/{id:long}/checkpoints", async Task<Results<Ok<List<CheckpointDto>>, NotFound>> (long id, TrainingRunService runs, CancellationToken ct) =>
            await runs.FindAsync(id, ct) is { } run ? TypedResults.Ok(run.Checkpoints.Select(ToDto).ToList()) : TypedResults.NotFound());
        return app;
    }

    /// <summary>Creates and queues a run (an external one is stored for its trainer); refused (400, by field) when invalid or estimated not to fit the device it trains on.</summary>
    private static async Task<Results<Created<CreatedRunDto>, ValidationProblem>> CreateRunAsync(
        NewRunRequest request, TrainingRunService runs, TrainingDataFiles dataFiles, CancellationToken ct)
    {
        if (request.EmptyEntries() is { Count: > 0 } empty) return TypedResults.ValidationProblem(empty);
        (request, var unknown) = await request.WithReferencesAsync(runs, dataFiles, ct);
        if (unknown.Count > 0) return TypedResults.ValidationProblem(unknown);
        var (spec, invalid) = request.Resolve(runs.ReadBaseConfig);
        if (spec is null) return TypedResults.ValidationProblem(invalid);
        var (run, errors) = await runs.TryCreateAsync(request.Name ?? "", spec, ct, request.External);
        if (run is null) return TypedResults.ValidationProblem(ByField(errors));
        var detail = ToDetail(run);
        return TypedResults.Created($"/api/training/runs/{run.Id}", new CreatedRunDto(detail.Run, detail.Spec, detail.Stages, runs.Preview(spec).Preview!));
    }

    /// <summary>
    /// The stage table a request would run (a preset's stages included), each stage's estimated
    /// peak memory on the training device, and warnings; nothing is stored. Data is not needed.
    /// </summary>
    private static async Task<Results<Ok<TrainingPreview>, ValidationProblem>> EstimateAsync(NewRunRequest request, TrainingRunService runs,
        TrainingDataFiles dataFiles, CancellationToken ct)
    {
        if (request.EmptyEntries() is { Count: > 0 } empty) return TypedResults.ValidationProblem(empty);
        (request, var unknown) = await request.WithReferencesAsync(runs, dataFiles, ct);
        if (unknown.Count > 0) return TypedResults.ValidationProblem(unknown);
        var (spec, invalid) = request.Resolve(runs.ReadBaseConfig);
        if (spec is null) return TypedResults.ValidationProblem(invalid);
        var (preview, errors) = runs.Preview(spec);
        return preview is null ? TypedResults.ValidationProblem(ByField(errors)) : TypedResults.Ok(preview);
    }

    private static Dictionary<string, string[]> ByField(IEnumerable<(string Field, string Message)> errors) =>
        errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());

    private static async Task<Results<NoContent, NotFound, Conflict<string>>> MovedAsync(long id, TrainingRunService runs,
        Func<long, CancellationToken, Task<bool>> move, string refusal, CancellationToken ct)
    {
        if (await runs.FindAsync(id, ct) is null) return TypedResults.NotFound();
        return await move(id, ct) ? TypedResults.NoContent() : TypedResults.Conflict(refusal);
    }
}

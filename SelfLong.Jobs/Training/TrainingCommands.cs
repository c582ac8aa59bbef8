using Microsoft.Extensions.DependencyInjection;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SelfLong.Jobs.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Training;

/// <summary>`./selflong train`, `./selflong perplexity` and `./selflong bench train`.</summary>
public static class TrainingCommands
{
    /// <param name="configureHost">Adjusts the database host the verb builds when the spec names
    /// synthesis runs or corpora (tests point it at their own database).</param>
    public static Command Train(Action<Microsoft.Extensions.Hosting.HostApplicationBuilder>? configureHost = null)
    {
        var output = new Option<string?>("--output") { Description = "Run folder: checkpoints are written under it (training here)." };
        var external = new Option<string?>("--external")
        {
            Description = "Store a run of this name for an external trainer (Axolotl) instead of training here: never queued; `train export --run ID` writes its stages and SelfLong follows the output. Prints one JSON object.",
        };
        var baseModel = new Option<string>("--base") { Description = "\"tiny\" (SelfLong-Tiny from scratch) or a checkpoint folder.", DefaultValueFactory = _ => TrainingRunSpec.TinyBase };
        var data = new Option<string[]>("--data") { Description = "JSONL(.gz) file, optionally PATH:WEIGHT; repeat to mix.", AllowMultipleArgumentsPerToken = true };
        var dataFile = new Option<string[]>("--data-file") { Description = "An uploaded data file's id (GET /api/training/data-files), optionally ID:WEIGHT; repeat to mix.", AllowMultipleArgumentsPerToken = true };
        var baseCheckpoint = new Option<long?>("--base-checkpoint") { Description = "A training run's checkpoint id (GET /api/training/runs/{id}/checkpoints) as the base, in place of --base." };
        var synthesisRuns = new Option<string[]>("--synthesis-run") { Description = "Synthesis run id, optionally ID:WEIGHT; its accepted samples are mixed in.", AllowMultipleArgumentsPerToken = true };
        var needleDrills = new Option<string[]>("--needle-drills")
        {
            Description = "Corpus id, optionally ID:WEIGHT; pass-key retrieval drills cut from its text at every stage length. Repeat to mix.",
            AllowMultipleArgumentsPerToken = true,
        };
        var rulerDrills = new Option<string[]>("--ruler-drills")
        {
            Description = "Corpus id, optionally ID:WEIGHT; drills in RULER's task formats (its generator, other seeds than an evaluation's) with its documents as the essay haystack, at every stage length that holds a RULER template. Repeat to mix.",
            AllowMultipleArgumentsPerToken = true,
        };
        var corpusText = new Option<string[]>("--corpus-text") { Description = "Corpus id, optionally ID:WEIGHT; its text is trained on as plain text (every token learned). Repeat to mix.", AllowMultipleArgumentsPerToken = true };
        var stages = new Option<string?>("--stages") { Description = "LEN:THETA:STEPS:LR,... e.g. 256:10000:200:1e-3,512:40000:200:5e-4" };
        var paperStages = new Option<int?>("--paper-rule") { Description = "Number of stages from the paper's rule (length x2, theta x4 per stage), starting at --first-length/--first-theta." };
        var preset = new Option<string?>("--preset")
        {
            Description = "\"paper\" (Llama-3.1: 256k at theta 2M, 512k at 8M, 1M at 32M) or \"from-base\" (stage 1 at twice the base's max_position_embeddings, theta x4; --stage-count stages), each with --steps and --lr.",
        };
        var stageCount = new Option<int>("--stage-count") { Description = "Stages of the from-base preset.", DefaultValueFactory = _ => 3 };
        var deviceMemory = new Option<string?>("--device-memory") { Description = "The device's memory for the fit check (e.g. 80GB, 24GiB); read from the device when omitted." };
        var firstLength = Evaluation.NumberList.LengthOption("--first-length", "Stage 1's length with --paper-rule", 256);
        var firstTheta = new Option<double>("--first-theta") { DefaultValueFactory = _ => 10_000 };
        var steps = new Option<int>("--steps") { Description = "Steps per stage with --paper-rule.", DefaultValueFactory = _ => 200 };
        var lr = new Option<double>("--lr") { Description = "Learning rate per stage with --paper-rule.", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 4 };
        var accumulation = new Option<int>("--accumulation") { DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 10 };
        var every = new Option<int>("--checkpoint-every") { Description = "Also checkpoint every N steps (0: stage ends only).", DefaultValueFactory = _ => 0 };
        var keep = new Option<int>("--keep-checkpoints") { Description = "Keep only the newest N periodic checkpoints; stage ends are always kept (0: keep all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var noPacking = new Option<bool>("--no-packing") { Description = "Pad each sample to the stage length instead of packing." };
        var dtype = new Option<string>("--dtype") { Description = "Projections' type on the CPU: float32 (default) or bfloat16; master weights stay float32. CUDA computes in bfloat16.", DefaultValueFactory = _ => "float32" };
        var checkpointAbove = new Option<int>("--checkpoint-above") { Description = "Recompute each decoder layer in backward for stages longer than this many tokens.", DefaultValueFactory = _ => LongSequence.Default.CheckpointAboveTokens };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint under --output." };
        var maxShardSize = new Option<string?>("--max-shard-size") { Description = "Checkpoints larger than this are saved as Hugging Face shards with an index, e.g. 5GB (the default), 500MB, 2GiB, or bytes." };
        var command = new Command("train", "Train with a progressive context-length schedule; prints one JSON line per step.")
        {
            output, external, baseModel, baseCheckpoint, data, dataFile, synthesisRuns, corpusText, needleDrills, rulerDrills, stages, preset, stageCount, paperStages, firstLength, firstTheta, steps, lr, batch,
            accumulation, warmup, every, keep, seed, noPacking, dtype, checkpointAbove, resume, maxShardSize, deviceMemory,
            External.ExternalTrainingCommands.Export(configureHost), External.ExternalTrainingCommands.Follow(configureHost),
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                if (new object?[] { parse.GetValue(stages), parse.GetValue(preset), parse.GetValue(paperStages) }.Count(x => x is not null) > 1)
                    throw new ArgumentException("Give one of --stages, --preset or --paper-rule.");
                var memory = MemorySize(parse.GetValue(deviceMemory));
                if (parse.GetValue(baseCheckpoint) is not null && parse.GetResult(baseModel) is { Implicit: false })
                    throw new TrainingSpecException("base", "Give --base or --base-checkpoint, not both.");
                var (checkpointFolder, uploadedData) = await TrainingCommandReferences.ResolveAsync(parse.GetValue(baseCheckpoint),
                    [.. (parse.GetValue(dataFile) ?? []).Select(TrainingRunSpec.ParseUploadedData)], configureHost, ct);
                var baseName = checkpointFolder ?? parse.GetValue(baseModel)!;
                var schedule = parse.GetValue(stages) is { } text
                    ? TrainingRunSpec.ParseStages(text)
                    : parse.GetValue(preset) is { } name
                        ? SchedulePresets.Build(name, BaseConfig(new TrainingRunSpec { Base = baseName }), parse.GetValue(stageCount), parse.GetValue(steps), parse.GetValue(lr)).Stages
                        : ProgressiveSchedule.PaperRule(parse.GetValue(firstLength), parse.GetValue(firstTheta), parse.GetValue(paperStages) ?? 1, parse.GetValue(steps), parse.GetValue(lr)).Stages;
                var spec = new TrainingRunSpec
                {
                    Base = baseName,
                    Data = [.. uploadedData, .. (parse.GetValue(data) ?? []).Select(TrainingRunSpec.ParseData)],
                    SynthesisRuns = [.. (parse.GetValue(synthesisRuns) ?? []).Select(TrainingRunSpec.ParseSynthesisRun)],
                    CorpusText = [.. (parse.GetValue(corpusText) ?? []).Select(TrainingRunSpec.ParseCorpusText)],
                    NeedleDrills =
                    [
                        .. (parse.GetValue(needleDrills) ?? []).Select(TrainingRunSpec.ParseNeedleDrills),
                        .. (parse.GetValue(rulerDrills) ?? []).Select(t => TrainingRunSpec.ParseNeedleDrills(t, NeedleDrillFormat.Ruler)),
                    ],
                    Stages = schedule,
                    Options = new TrainingOptions
                    {
                        Seed = parse.GetValue(seed),
                        BatchSize = parse.GetValue(batch),
                        GradientAccumulation = parse.GetValue(accumulation),
                        WarmupSteps = parse.GetValue(warmup),
                        CheckpointEvery = parse.GetValue(every),
                        KeepCheckpoints = parse.GetValue(keep),
                        Packing = !parse.GetValue(noPacking),
                        CpuDtype = parse.GetValue(dtype)!,
                        CheckpointAboveTokens = parse.GetValue(checkpointAbove),
                        MaxShardBytes = parse.GetValue(maxShardSize) is { } size ? ShardedWeights.ParseSize(size) : ShardedWeights.DefaultMaxShardBytes,
                    },
                };
                spec.Validate();
                if (parse.GetValue(external) is { } runName)
                {
                    if (parse.GetValue(output) is not null) throw new ArgumentException("--output is the folder to train into here; an external run's folder is made under the storage root. Give one of them.");
                    return await External.ExternalTrainingCommands.CreateAsync(parse, runName, spec, configureHost, ct);
                }
                var outputFolder = parse.GetValue(output) ?? throw new ArgumentException("Give --output (the folder to train into here), or --external NAME to store a run for an external trainer.");
                var stderr = parse.InvocationConfiguration.Error;
                var preview = TrainingPreview.For(spec, BaseConfig(spec), TrainingDevice.Detect(memory));
                foreach (var warning in preview.Warnings) await stderr.WriteLineAsync($"warning: {warning}");
                foreach (var line in preview.Lines()) await stderr.WriteLineAsync(line);
                if (preview.Refusals().FirstOrDefault() is { Message: { } refusal }) throw new TrainingSpecException("stages", refusal);
                var stdout = parse.InvocationConfiguration.Output;
                using var host = spec.ReadsDatabase ? Cli.CliHost.Build(configure: configureHost) : null;
                IReadOnlyList<WeightedSource> sources = [];
                if (host is not null)
                {
                    await host.Services.GetRequiredService<TrainingDataReferences>().ValidateAsync(spec, ct);
                    var dbFactory = host.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Data.SelfLongDbContext>>();
                    sources = DatabaseSampleSources.For(spec, host.Services.GetRequiredService<Synthesis.SynthesisSampleReader>(), dbFactory);
                }
                await TrainingLauncher.RunAsync(spec, outputFolder,
                    step => stdout.WriteLine(JsonSerializer.Serialize(new
                    {
                        step = step.GlobalStep, stage = step.Stage + 1, loss = Math.Round(step.Loss, 4), lr = step.LearningRate,
                        tokens_per_s = Math.Round(step.TokensPerSecond), peak_rss_mb = step.PeakMemoryBytes >> 20,
                        cut_samples = step.Truncation.CutSamples, cut_tokens = step.Truncation.CutTokens, too_long_samples = step.Truncation.TooLongSamples,
                    })),
                    saved => stdout.WriteLine(JsonSerializer.Serialize(new { checkpoint = saved.Path, stage = saved.Stage + 1, stage_end = saved.StageEnd, rope_theta = saved.RopeTheta, max_length = saved.MaxLength })),
                    parse.GetValue(resume), ct, sources);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or NotSupportedException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(e.Message);
                return 2;
            }
        });
        return command;
    }

    /// <summary>The base's config, or a <see cref="TrainingSpecException"/> on "base" saying why it cannot be read.</summary>
    private static LlamaConfig BaseConfig(TrainingRunSpec spec)
    {
        var (config, error) = TrainingPreview.ReadBaseConfig(spec);
        return config ?? throw new TrainingSpecException("base", error!);
    }

    /// <summary>A memory size as --device-memory takes it (bytes, or KB/MB/GB/KiB/MiB/GiB), or null.</summary>
    public static long? MemorySize(string? text)
    {
        if (text is null) return null;
        try
        {
            return ShardedWeights.ParseSize(text);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"'{text}' is not a memory size; give bytes or a number with KB, MB, GB, KiB, MiB or GiB (e.g. 80GB or 24GiB).");
        }
    }

    public sealed record PerplexityReport(
        [property: System.Text.Json.Serialization.JsonPropertyName("tokens")] int Tokens,
        [property: System.Text.Json.Serialization.JsonPropertyName("mean_nll")] double MeanNll,
        [property: System.Text.Json.Serialization.JsonPropertyName("perplexity")] double Perplexity,
        [property: System.Text.Json.Serialization.JsonPropertyName("max_length")] int MaxLength);

    /// <summary>Text is scored after begin-of-text; token-id files are scored as given.</summary>
    public static async Task<PerplexityReport> PerplexityReportAsync(string checkpoint, string? textFile, string? tokenFile, int? maxLength, CancellationToken ct)
    {
        // Token ids need no tokenizer: a folder with weights and config.json is enough.
        using var model = LocalCheckpoint.Load(checkpoint, withTokenizer: textFile is not null);
        List<int> ids = textFile is not null
            ? [model.Tokenizer.Chat.BeginOfText, .. model.Encode(await File.ReadAllTextAsync(textFile, ct))]
            : ParseIds(await File.ReadAllTextAsync(tokenFile!, ct));
        // --max-length may exceed max_position_embeddings to measure extrapolation.
        var limit = maxLength ?? model.MaxPositionEmbeddings;
        if (ids.Count > limit) ids = ids[..limit];
        var summary = Perplexity.Summarize(model.TokenNlls(ids));
        return new PerplexityReport(summary.Tokens, summary.MeanNll, summary.Perplexity, limit);
    }

    private static List<int> ParseIds(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('[')) return JsonSerializer.Deserialize<List<int>>(trimmed) ?? [];
        return [.. trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
    }

    /// <summary>`bench train`: SelfLong-Tiny training throughput and peak memory by length; with --long, Llama-3 shapes at 4k to 32k.</summary>
    public static Command BenchTrain()
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per length (after one warm-up step).", DefaultValueFactory = _ => 3 };
        var isLong = new Option<bool>("--long") { Description = "Llama-3-shaped models (128,256-word vocabulary) at long lengths, single and packed rows, plus the Llama-3.2-1B width." };
        var layers = new Option<int>("--layers") { Description = "With --long: 4 also measures a 4-layer model, for the bytes each extra layer adds.", DefaultValueFactory = _ => 2 };
        var layerLengths = new Option<string>("--layer-lengths") { Description = "With --long --layers 4: lengths of the 4-layer model (at least two, for its slope).", DefaultValueFactory = _ => "8192,16384" };
        var lengths = new Option<string>("--lengths") { Description = "With --long: lengths of the narrow model, comma-separated.", DefaultValueFactory = _ => "4096,8192,16384,32768" };
        var baselineLength = new Option<int>("--baseline-length") { Description = "With --long: the length at which today's plain path (dense mask, full logits, no checkpoints) is measured as the baseline; 0 skips it.", DefaultValueFactory = _ => 4096 };
        var oneB = new Option<string>("--1b-lengths") { Description = "With --long: lengths of the Llama-3.2-1B-wide model (empty to skip).", DefaultValueFactory = _ => "2048,4096" };
        var device = new Option<string>("--device") { Description = "cpu or cuda (default: cuda where present).", DefaultValueFactory = _ => TorchDevices.Preferred().type == DeviceType.CUDA ? "cuda" : "cpu" };
        var dtype = new Option<string>("--dtype") { Description = "Projections' type on the CPU: float32 or bfloat16 (CUDA always uses bfloat16).", DefaultValueFactory = _ => "float32" };
        var train = new Command("train", "Training throughput and peak memory; one JSON object. Without --long: SelfLong-Tiny at 512 and 2048 tokens.")
        {
            steps, isLong, layers, layerLengths, lengths, baselineLength, oneB, device, dtype,
        };
        train.SetAction(parse =>
        {
            if (!parse.GetValue(isLong))
            {
                Console.WriteLine(JsonSerializer.Serialize(TrainingBenchmark.Run(parse.GetValue(steps))));
                return 0;
            }
            var target = parse.GetValue(device) == "cuda" ? CUDA : CPU;
            if (target.type == DeviceType.CUDA && !cuda.is_available())
            {
                Console.Error.WriteLine("--device cuda: no CUDA device here (build with -p:TorchDevice=cuda on a machine with a GPU).");
                return 2;
            }
            var report = LongTrainingBenchmark.Run(
                ParseLengths(parse.GetValue(lengths)!), parse.GetValue(baselineLength), ParseLengths(parse.GetValue(oneB)!),
                parse.GetValue(layers) >= 4 ? ParseLengths(parse.GetValue(layerLengths)!) : [], target,
                new TrainingOptions { CpuDtype = parse.GetValue(dtype)! }, Console.Error.WriteLine);
            Console.WriteLine(JsonSerializer.Serialize(report));
            return 0;
        });
        return train;
    }

    private static int[] ParseLengths(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
}

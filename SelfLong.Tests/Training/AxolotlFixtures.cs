using System.Text.Json;
using System.Text.Json.Nodes;
using SelfLong.Data.Training;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

/// <summary>
/// What the Axolotl tests hand over and read back: a tiny Hugging Face base, chat data, and output
/// folders in Hugging Face Trainer's documented layout (config, safetensors, tokenizer, trainer_state.json).
/// </summary>
public static class AxolotlFixtures
{
    /// <summary>Two stages (64 tokens at theta 10,000, then 128 at 40,000), two steps each.</summary>
    public static TrainingRunSpec Spec(string baseFolder, string dataFile) => new()
    {
        Base = baseFolder,
        Data = [new DataFileSpec(dataFile)],
        Stages = [new TrainingStage(64, 10_000, 2, 1e-3), new TrainingStage(128, 40_000, 2, 5e-4)],
        Options = TrainingTestData.Options(),
    };

    /// <summary>Saves the base under <paramref name="baseFolder"/> and creates the run for an external trainer through the app's service.</summary>
    public static async Task<TrainingRun> CreateExternalRunAsync(AppFixture app, string baseFolder, string dataFile, CancellationToken ct)
    {
        SaveModel(baseFolder, 10_000, log: null);
        return await app.Services.GetRequiredService<TrainingRunService>()
            .CreateAsync($"axolotl-{Guid.NewGuid():N}", Spec(baseFolder, dataFile), ct, external: true);
    }

    /// <summary>A short chat sample and one whose document is longer than every stage, in <paramref name="folder"/>/data.jsonl.</summary>
    public static string WriteData(string folder, string response)
    {
        var path = Path.Combine(folder, "data.jsonl");
        string Line(string user, bool isLong) => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = user }, new { role = "assistant", content = response } },
            is_long = isLong,
        });
        File.WriteAllLines(path, [Line("a short question", false), Line(string.Concat(Enumerable.Repeat("the whale and the sea. ", 40)) + "Answer briefly.", true)]);
        return path;
    }

    /// <summary>trainer_state.json's content: the loss logged at each step so far.</summary>
    public static JsonObject Log(params (int Step, double Loss)[] entries) => new()
    {
        ["global_step"] = entries[^1].Step,
        ["log_history"] = new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject { ["epoch"] = 0.1, ["grad_norm"] = 1.5, ["learning_rate"] = 1e-4, ["loss"] = e.Loss, ["step"] = e.Step })]),
    };

    /// <summary>A Hugging Face folder as the trainer saves it: config, safetensors, tokenizer and (for checkpoints) trainer_state.json.</summary>
    public static void SaveModel(string dir, double theta, JsonObject? log)
    {
        var config = SelfLongTiny.Config(maxPositions: 64, ropeTheta: theta, hidden: 16, layers: 1);
        config.VocabSize = 262;
        using (var model = new LlamaForCausalLM(config))
            CheckpointFolder.Save(model, dir, config);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TokenizerJson());
        if (log is not null) File.WriteAllText(Path.Combine(dir, "trainer_state.json"), log.ToJsonString());
    }

    /// <summary>A byte-level BPE tokenizer.json: 256 byte tokens, one merge ("he"), Llama-3's chat specials.</summary>
    private static string TokenizerJson()
    {
        var vocab = new JsonObject();
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 12)).Concat(Enumerable.Range(0xAE, 0x100 - 0xAE)).ToHashSet();
        var extra = 0;
        for (var b = 0; b < 256; b++) vocab[((char)(printable.Contains(b) ? b : 256 + extra++)).ToString()] = b;
        vocab["he"] = 256;
        string[] specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
        var added = new JsonArray([.. specials.Select((s, i) => (JsonNode)new JsonObject { ["id"] = 257 + i, ["content"] = s, ["special"] = true })]);
        return new JsonObject { ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab }, ["added_tokens"] = added }.ToJsonString();
    }
}

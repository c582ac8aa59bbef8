using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Tests.Synthesis;

/// <summary>
/// A SelfLong-Tiny checkpoint with random weights, written with the training code's own save. The
/// weights come from a seeded managed RNG, not torch's global one that parallel tests share, so the
/// same seed gives the same model (and the same greedy text) in every run.
/// </summary>
public sealed class TinyCheckpoint : IDisposable
{
    public TinyCheckpoint(int maxPositions = 4096, int seed = 7)
    {
        Folder = Save(Directory.CreateTempSubdirectory("selflong-local-endpoint-").FullName, maxPositions, seed, layers: 1);
    }

    /// <summary>Writes a random SelfLong-Tiny (hidden 32, byte tokenizer) into <paramref name="folder"/>.</summary>
    public static string Save(string folder, int maxPositions, int seed, int layers)
    {
        using var model = new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: maxPositions, hidden: 32, layers: layers));
        var random = new Random(seed);
        using (no_grad())
        {
            // Matrices only: the RMSNorm weights keep their ones.
            foreach (var (_, parameter) in model.named_parameters().Where(p => p.parameter.dim() >= 2))
            {
                var values = new float[parameter.numel()];
                for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * 0.5f;
                using var filled = tensor(values).reshape(parameter.shape);
                parameter.copy_(filled);
            }
        }
        CheckpointFolder.Save(model, folder);
        ByteTokenizer.WriteMarker(folder);
        return folder;
    }

    public string Folder { get; }

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}

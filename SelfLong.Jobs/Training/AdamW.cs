using SelfLong.Jobs.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfLong.Jobs.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter) with PyTorch's update rule, decoupled weight decay on matrices
/// only (not norms). Written out so its whole state (two moments per parameter and the step)
/// is saved with the checkpoint as safetensors, which makes resuming exact.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly List<(string Name, Parameter Parameter, Tensor ExpAvg, Tensor ExpAvgSq)> state = [];
    private readonly TrainingOptions options;

    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, TrainingOptions options)
    {
        this.options = options;
        foreach (var (name, p) in parameters)
            state.Add((name, p, zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope()));
    }

    public long Step { get; private set; }

    public IEnumerable<Parameter> Parameters => state.Select(s => s.Parameter);

    public void ZeroGrad()
    {
        foreach (var (_, p, _, _) in state) p.grad?.zero_();
    }

    public void Update(double learningRate)
    {
        Step++;
        var b1 = options.Beta1;
        var b2 = options.Beta2;
        var correction1 = 1 - Math.Pow(b1, Step);
        var correction2 = 1 - Math.Pow(b2, Step);
        using var _ = no_grad();
        foreach (var (_, p, m, v) in state)
        {
            if (p.grad is not { } g) continue;
            using var scope = NewDisposeScope();
            m.mul_(b1).add_(g, alpha: 1 - b1);
            v.mul_(b2).addcmul_(g, g, value: 1 - b2);
            if (p.dim() >= 2 && options.WeightDecay > 0) p.mul_(1 - learningRate * options.WeightDecay);
            var denominator = (v / correction2).sqrt_().add_(options.Epsilon);
            p.addcdiv_(m, denominator, value: -learningRate / correction1);
        }
    }

    public void Save(string path) =>
        SafeTensors.Save(path,
            state.SelectMany(s => new[] { new KeyValuePair<string, Tensor>("exp_avg." + s.Name, s.ExpAvg), new("exp_avg_sq." + s.Name, s.ExpAvgSq) }),
            new Dictionary<string, string> { ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public void Load(string path, long step)
    {
        var loaded = SafeTensors.Load(path);
        try
        {
            using var _ = no_grad();
            foreach (var (name, _, m, v) in state)
            {
                if (!loaded.TryGetValue("exp_avg." + name, out var lm) || !loaded.TryGetValue("exp_avg_sq." + name, out var lv))
                    throw new InvalidDataException($"Optimizer state {Path.GetFileName(path)} lacks '{name}'; it belongs to another model.");
                m.copy_(lm);
                v.copy_(lv);
            }
            Step = step;
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, m, v) in state)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}

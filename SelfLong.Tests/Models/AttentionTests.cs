using SelfLong.Jobs.Models;
using static TorchSharp.torch;

namespace SelfLong.Tests.Models;

public sealed class AttentionTests
{
    [Fact]
    public void Attend_GroupedQueryHeads_EqualsPlainCausalSoftmaxReference()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        const int h = 4, kv = 2, t = 6, d = 8;
        var q = randn(1, h, t, d);
        var k = randn(1, kv, t, d);
        var v = randn(1, kv, t, d);
        var actual = LlamaAttention.Attend(q, k, v, mask: null, past: 0).data<float>().ToArray();

        var qa = q.data<float>().ToArray();
        var ka = k.data<float>().ToArray();
        var va = v.data<float>().ToArray();
        for (var head = 0; head < h; head++)
        {
            var g = head / (h / kv); // query heads 0,1 read KV head 0; 2,3 read KV head 1
            for (var i = 0; i < t; i++)
            {
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++)
                {
                    double dot = 0;
                    for (var c = 0; c < d; c++) dot += qa[(head * t + i) * d + c] * ka[(g * t + j) * d + c];
                    scores[j] = dot / Math.Sqrt(d);
                }
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var sum = weights.Sum();
                for (var c = 0; c < d; c++)
                {
                    double expected = 0;
                    for (var j = 0; j <= i; j++) expected += weights[j] / sum * va[(g * t + j) * d + c];
                    Assert.Equal(expected, actual[(head * t + i) * d + c], 1e-4);
                }
            }
        }
    }

    [Fact]
    public void Forward_WithKvCacheStepByStep_MatchesFullForward()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var config = SelfLongTiny.Config(maxPositions: 32, hidden: 32, layers: 2);
        using var model = new LlamaForCausalLM(config);
        using var _ = no_grad();
        var ids = randint(0, 256, [1, 9], dtype: ScalarType.Int64);
        var full = model.Forward(ids);                                   // (1, 9, V)

        using var cache = new KvCache(config, 1, 9, CPU, ScalarType.Float32);
        var prefill = model.Forward(ids.narrow(1, 0, 4), cache: cache);  // positions 0..3
        var chunk = model.Forward(ids.narrow(1, 4, 3), cache: cache);    // 4..6 after a cache
        var steps = new List<Tensor> { prefill, chunk };
        for (var p = 7; p < 9; p++) steps.Add(model.Forward(ids.narrow(1, p, 1), cache: cache));
        var cached = cat(steps, dim: 1);

        Assert.True(allclose(full, cached, rtol: 1e-4, atol: 1e-5), $"max diff {(full - cached).abs().max().item<float>()}");
    }

    [Fact]
    public void Generate_GreedyWithCache_EqualsArgmaxOfFullForwards()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var config = SelfLongTiny.Config(maxPositions: 32, hidden: 32, layers: 2);
        using var model = new LlamaForCausalLM(config);
        List<int> prompt = [256, 72, 105];
        var generated = TextGenerator.Generate(model, prompt, 8, new HashSet<int>(), ct: TestContext.Current.CancellationToken);

        var expected = new List<int>(prompt);
        using (no_grad())
        {
            for (var i = 0; i < 8; i++)
            {
                var logits = model.Forward(tensor(expected.Select(x => (long)x).ToArray(), [1, expected.Count]));
                expected.Add((int)logits[0, -1].argmax().item<long>());
            }
        }
        Assert.Equal(expected.Skip(3), generated);
    }

    [Fact]
    public void Generate_SampledWithSeed_IsReproducible()
    {
        manual_seed(4);
        using var model = new LlamaForCausalLM(SelfLongTiny.Config(maxPositions: 32, hidden: 32, layers: 2));
        var a = TextGenerator.Generate(model, [256, 65], 10, new HashSet<int>(), temperature: 1.0, seed: 9, ct: TestContext.Current.CancellationToken);
        var b = TextGenerator.Generate(model, [256, 65], 10, new HashSet<int>(), temperature: 1.0, seed: 9, ct: TestContext.Current.CancellationToken);
        Assert.Equal(10, a.Count);
        Assert.Equal(a, b);
    }
}

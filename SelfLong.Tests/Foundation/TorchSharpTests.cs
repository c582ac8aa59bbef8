using SelfLong.Jobs.SystemChecks;
using static TorchSharp.torch;

namespace SelfLong.Tests.Foundation;

public sealed class TorchSharpTests
{
    [Fact]
    public void Matmul_OnCpu_MatchesManagedReference()
    {
        var result = TorchSelfTest.Run(size: 32, seed: 3);
        Assert.True(result.MaxAbsError < SystemCheckJob.Tolerance, $"max error {result.MaxAbsError}");
    }

    [Fact]
    public void Softmax_OnCpu_ComputesKnownValues()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0f, MathF.Log(3f) }, device: CPU);
        var p = nn.functional.softmax(x, dim: 0).data<float>().ToArray();
        Assert.Equal(0.25f, p[0], 5);
        Assert.Equal(0.75f, p[1], 5);
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace SelfLong.Jobs.SystemChecks;

/// <summary>Checks TorchSharp against a plain managed matmul on the same inputs.</summary>
public static class TorchSelfTest
{
    public sealed record Result(string Device, double MaxAbsError);

    public static Device PreferredDevice() => cuda.is_available() ? CUDA : CPU;

    public static Result Run(int size = 64, int seed = 17)
    {
        using var scope = NewDisposeScope();
        var device = PreferredDevice();
        var random = new Random(seed);
        var a = new float[size * size];
        var b = new float[size * size];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)(random.NextDouble() * 2 - 1);
            b[i] = (float)(random.NextDouble() * 2 - 1);
        }

        // (size, size) @ (size, size) on the device, back to the CPU for comparison.
        var product = matmul(tensor(a, [size, size], device: device), tensor(b, [size, size], device: device))
            .cpu().data<float>().ToArray();

        double maxError = 0;
        for (var i = 0; i < size; i++)
        {
            for (var j = 0; j < size; j++)
            {
                double expected = 0;
                for (var k = 0; k < size; k++) expected += (double)a[i * size + k] * b[k * size + j];
                maxError = Math.Max(maxError, Math.Abs(expected - product[i * size + j]));
            }
        }
        return new Result(device.type.ToString().ToLowerInvariant(), maxError);
    }
}

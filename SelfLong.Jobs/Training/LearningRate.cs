namespace SelfLong.Jobs.Training;

/// <summary>Linear warmup then cosine decay to a floor, as a pure function of the step in a stage.</summary>
public static class LearningRate
{
    public static double At(int step, int totalSteps, double peak, int warmupSteps, double minRatio)
    {
        if (warmupSteps > 0 && step < warmupSteps) return peak * (step + 1) / warmupSteps;
        var decaySteps = Math.Max(1, totalSteps - warmupSteps);
        var progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        var floor = peak * minRatio;
        return floor + 0.5 * (peak - floor) * (1 + Math.Cos(Math.PI * progress));
    }
}

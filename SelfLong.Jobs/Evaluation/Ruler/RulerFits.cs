namespace SelfLong.Jobs.Evaluation.Ruler;

public static class RulerFits
{
    /// <summary>
    /// Whether a sample of <paramref name="task"/> generates at <paramref name="length"/>: its
    /// instructions, example and answer fit beside <paramref name="reservedTokens"/>. A haystack that
    /// ran short (<see cref="RulerLengthException"/>) is not the template's fault: the task fits.
    /// </summary>
    public static bool Fits(this RulerGenerator generator, RulerTask task, int length, int seed = 42, int reservedTokens = 0)
    {
        try
        {
            generator.Generate(task, length, 0, seed, reservedTokens);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (RulerLengthException)
        {
            return true;
        }
    }
}

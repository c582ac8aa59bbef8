namespace SelfLong.Jobs.Evaluation.Niah;

/// <summary>
/// The parts of a NIAH prompt a reader checks a cell by: the text around the needle (was it placed
/// where the depth says, between whole sentences?) and the prompt's end (the question the model
/// answered). Kept with the cell, so its drawer shows what was sent without rebuilding the prompt.
/// </summary>
public static class NiahExcerpts
{
    /// <summary>Characters kept on each side of the needle.</summary>
    public const int AroundNeedle = 300;

    /// <summary>Characters kept from the prompt's end.</summary>
    public const int EndLength = 400;

    /// <summary>The needle with up to <see cref="AroundNeedle"/> characters each side, "…" where text was left out; null when the prompt lacks the needle.</summary>
    public static string? Needle(string prompt, string needle)
    {
        var at = string.IsNullOrEmpty(needle) ? -1 : prompt.IndexOf(needle, StringComparison.Ordinal);
        if (at < 0) return null;
        var from = Math.Max(0, at - AroundNeedle);
        var to = Math.Min(prompt.Length, at + needle.Length + AroundNeedle);
        return (from > 0 ? "…" : "") + prompt[from..to] + (to < prompt.Length ? "…" : "");
    }

    /// <summary>The last <see cref="EndLength"/> characters, "…" first when the prompt is longer.</summary>
    public static string End(string prompt) =>
        prompt.Length <= EndLength ? prompt : "…" + prompt[^EndLength..];
}

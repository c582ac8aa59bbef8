namespace SelfLong.Jobs.Synthesis;

/// <summary>Step 4 (PAPER.md): the model answers the instruction from the final summaries.</summary>
public sealed class ResponseGenerator
{
    public async Task<string> GenerateAsync(ISynthesisModel model, string instruction, SummaryTree tree,
        SynthesisSettings settings, CancellationToken ct)
    {
        var summaries = tree.Levels[^1].Select(n => n.Text).ToList();
        var response = (await model.RespondAsync(instruction, summaries, settings.ResponseTokens, ct)).Trim();
        return response.Length > 0 ? response : throw new InvalidDataException("The model's response was empty.");
    }
}

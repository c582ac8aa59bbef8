namespace SelfLong.Jobs.Evaluation.LengthFollowing;

/// <summary>
/// The writing tasks a length-following run asks for, each with a required word count. The same
/// tasks are asked at every length, so the lengths differ only in the count asked for.
/// The paper's own prompts are not published; these are open-ended tasks that any length suits.
/// </summary>
public static class LengthFollowingPrompts
{
    public static readonly IReadOnlyList<string> Tasks =
    [
        "Write a story about a lighthouse keeper who finds a message in a bottle.",
        "Write an essay on how the invention of the printing press changed Europe.",
        "Write a guide for someone planting their first vegetable garden.",
        "Write a report on the causes and effects of ocean acidification.",
        "Write a letter from a ship's doctor in 1850 to her family at home.",
        "Write an article explaining how bridges carry their loads, for curious readers.",
        "Write a review of an imaginary novel about a city built on stilts.",
        "Write a history of a small mountain village over three centuries.",
        "Write a speech opening a new public library.",
        "Write an explanation of how vaccines train the immune system.",
        "Write a travel diary of a week walking along a river from its source to the sea.",
        "Write a proposal for turning an abandoned railway line into a park.",
    ];

    /// <summary>The prompt for task <paramref name="index"/> (cycling through <see cref="Tasks"/>) at <paramref name="words"/> words.</summary>
    public static string Build(int words, int index) =>
        $"{Tasks[index % Tasks.Count]} The response must be {words} words long.";
}

using System.Globalization;

namespace SelfLong.Jobs.Progress;

/// <summary>The features whose pages follow progress; the id is the one the page is keyed by.</summary>
public static class ProgressFeatures
{
    /// <summary>Id: the synthesis run.</summary>
    public const string Synthesis = "synthesis";
    /// <summary>Id: the training run.</summary>
    public const string Training = "training";
    /// <summary>Id: the evaluation run.</summary>
    public const string Evaluation = "evaluation";
    /// <summary>Id: the corpus (its page shows its ingestion runs).</summary>
    public const string Corpus = "corpus";
    /// <summary>Id: the demo run.</summary>
    public const string Demo = "demo";
}

/// <summary>
/// "Rows of (feature, id) changed": the whole payload of a progress notification. Pages re-read
/// their rows, so the notification carries no data and a lost one costs only latency.
/// </summary>
public readonly record struct ProgressNotice(string Feature, long RunId)
{
    /// <summary>The PostgreSQL LISTEN/NOTIFY channel every process shares.</summary>
    public const string Channel = "selflong_progress";

    public string ToPayload() => $"{Feature}:{RunId.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string payload, out ProgressNotice notice)
    {
        notice = default;
        var colon = payload.LastIndexOf(':');
        if (colon <= 0 || !long.TryParse(payload.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return false;
        notice = new ProgressNotice(payload[..colon], id);
        return true;
    }
}

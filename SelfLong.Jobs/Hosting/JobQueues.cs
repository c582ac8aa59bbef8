namespace SelfLong.Jobs.Hosting;

/// <summary>The Hangfire queues, one per kind of heavy work (ARCHITECTURE.md, "Processes").</summary>
public static class JobQueues
{
    public const string Default = "default";
    public const string Ingest = "ingest";
    public const string Synthesis = "synthesis";
    public const string Training = "training";
    public const string Evaluation = "evaluation";

    public static readonly string[] All = [Default, Ingest, Synthesis, Training, Evaluation];
}

namespace SelfLong.Data.Runs;

/// <summary>
/// Where a run of any kind stands (ingestion, synthesis, training, evaluation, the demo, a system
/// check): one vocabulary for every page, API answer and export. Stored by name. Paused applies to
/// synthesis only; the members' order is fixed (appended, never inserted).
/// </summary>
public enum RunStatus { Queued, Running, Succeeded, Failed, Cancelled, Paused }

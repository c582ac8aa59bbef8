using SelfLong.Jobs.Progress;

namespace SelfLong.Web.Features.Progress;

/// <summary>
/// The in-process side of live progress: the listener hands every notification here, and each
/// open page's <see cref="ProgressFollower"/> is told when its (feature, id) changed.
/// </summary>
public sealed class ProgressSubscriptions(ILoggerFactory loggers)
{
    /// <summary>How often a follower re-reads even without a notification, so a lost one cannot freeze a page.</summary>
    public static readonly TimeSpan SafetyRefresh = TimeSpan.FromSeconds(20);

    private readonly Lock gate = new();
    private readonly List<Subscription> subscriptions = [];

    /// <summary>
    /// Calls <paramref name="refresh"/> after each notification for (feature, runId), or for any id
    /// of the feature when <paramref name="runId"/> is null, and at least every <see cref="SafetyRefresh"/>.
    /// Dispose it with the component.
    /// </summary>
    public ProgressFollower Follow(string feature, long? runId, Func<Task> refresh)
    {
        var follower = new ProgressFollower(refresh, SafetyRefresh, loggers.CreateLogger<ProgressFollower>());
        var subscription = new Subscription(feature, runId, follower);
        lock (gate) subscriptions.Add(subscription);
        follower.Stopped += () => { lock (gate) subscriptions.Remove(subscription); };
        return follower;
    }

    public void Publish(ProgressNotice notice)
    {
        foreach (var s in Snapshot())
        {
            if (s.Feature == notice.Feature && (s.RunId is null || s.RunId == notice.RunId)) s.Follower.Signal();
        }
    }

    /// <summary>After the listener was disconnected: notifications may have been missed, so everyone re-reads.</summary>
    public void PublishAll()
    {
        foreach (var s in Snapshot()) s.Follower.Signal();
    }

    public int Count { get { lock (gate) return subscriptions.Count; } }

    private Subscription[] Snapshot() { lock (gate) return [.. subscriptions]; }

    private sealed record Subscription(string Feature, long? RunId, ProgressFollower Follower);
}

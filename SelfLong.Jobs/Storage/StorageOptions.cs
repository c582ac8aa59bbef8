using System.ComponentModel.DataAnnotations;
using SelfLong.Jobs.Hosting;
namespace SelfLong.Jobs.Storage;

/// <summary>Where SelfLong keeps files, and where user-entered server paths may point. Bound from <c>SelfLong:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "SelfLong:Storage";

    /// <summary>The setting's name, for messages that tell an operator what to fix.</summary>
    public const string RootSetting = Section + ":Root";

    /// <summary>
    /// The storage root: training runs (checkpoints, trainer state) are written under
    /// <c>runs/</c> in it. With workers on several machines it must be one shared folder (NFS or
    /// similar) mounted at the same path on every machine that runs the dashboard or a worker:
    /// a run's folder is recorded as an absolute path when the run is created. Relative paths are
    /// under the working directory.
    /// </summary>
    [Required]
    public string Root { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "selflong");

    /// <summary>
    /// Folders a checkpoint, tokenizer or data path entered in the dashboard or the API must lie
    /// under (after symlinks are resolved). Empty means the project's own data folders: the runs
    /// folder of <see cref="Root"/> and <see cref="ModelsDirectory"/>.
    /// </summary>
    public string[] AllowedRoots { get; set; } = [];

    /// <summary>Where downloaded or copied model folders go, so they can be named as a base or endpoint.</summary>
    [Required]
    public string ModelsDirectory { get; set; } = Path.Combine(".selflong", "models");
}

using System.ComponentModel.DataAnnotations;
using SelfLong.Jobs.Hosting;
namespace SelfLong.Jobs.Storage;

/// <summary>Where user-entered server paths may point. Bound from <c>SelfLong:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "SelfLong:Storage";

    /// <summary>
    /// Folders a checkpoint, tokenizer or data path entered in the dashboard or the API must lie
    /// under (after symlinks are resolved). Empty means the project's own data folders: the upload
    /// folder, the training runs folder and <see cref="ModelsDirectory"/>.
    /// </summary>
    public string[] AllowedRoots { get; set; } = [];

    /// <summary>Where downloaded or copied model folders go, so they can be named as a base or endpoint.</summary>
    [Required]
    public string ModelsDirectory { get; set; } = Path.Combine(".selflong", "models");
}

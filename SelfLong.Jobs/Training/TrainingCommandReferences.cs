using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SelfLong.Jobs.Training.DataFiles;

namespace SelfLong.Jobs.Training;

/// <summary>What `train` names by id (--base-checkpoint, --data-file), read from the database as the API reads it.</summary>
internal static class TrainingCommandReferences
{
    /// <summary>The checkpoint's folder (null when none was named) and the uploaded files as data files; a <see cref="TrainingSpecException"/> for an id that does not resolve.</summary>
    public static async Task<(string? BaseFolder, IReadOnlyList<DataFileSpec> Data)> ResolveAsync(long? checkpointId, IReadOnlyList<UploadedDataSpec> uploaded,
        Action<HostApplicationBuilder>? configureHost, CancellationToken ct)
    {
        if (checkpointId is null && uploaded.Count == 0) return (null, []);
        using var host = Cli.CliHost.Build(configure: configureHost);
        string? folder = null;
        if (checkpointId is { } id)
        {
            var (found, error) = await host.Services.GetRequiredService<TrainingRunService>().CheckpointFolderAsync(id, ct);
            folder = found ?? throw new TrainingSpecException("base", error!);
        }
        var (data, errors) = await host.Services.GetRequiredService<TrainingDataFiles>().ResolveAsync(uploaded, ct);
        if (errors.Count > 0) throw new TrainingSpecException("data", errors[0].Message);
        return (folder, data);
    }
}

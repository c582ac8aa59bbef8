using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using SelfLong.Data.DataProtection;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Storage;
using YamlDotNet.RepresentationModel;

namespace SelfLong.Tests.Deployment;

/// <summary>
/// docker-compose.yml checked against the app's own settings, since no container engine runs where
/// the tests run: every path a service writes lies on one named volume that every service mounts at
/// the same place, every setting a service needs is set, and the gpu profile's worker is a CUDA build
/// given the NVIDIA devices.
/// </summary>
public sealed class ComposeFileTests
{
    private readonly ComposeFile compose = ComposeFile.Load();

    [Fact]
    public void AppServices_Each_SetsTheDatabaseTheStorageRootAndTheKeyRingCertificateAndWaitsForTheDatabase()
    {
        Assert.Equal(["web", "worker", "worker-gpu"], compose.AppServices.Keys.Order());
        foreach (var (name, service) in compose.AppServices)
        {
            var configuration = ComposeFile.Configuration(service);
            var connection = new Npgsql.NpgsqlConnectionStringBuilder(configuration.GetConnectionString("SelfLong"));
            Assert.True(compose.Services.ContainsKey(connection.Host!), $"{name}: the database host '{connection.Host}' is a service");
            Assert.Equal("service_healthy", ComposeFile.Text(ComposeFile.Map(service, "depends_on", connection.Host!)!.Children["condition"]));
            Assert.False(string.IsNullOrEmpty(configuration[StorageOptions.RootSetting]), $"{name}: {StorageOptions.RootSetting} is set");
            // A path the app would take relative to its working folder is inside the container's image, not on a volume.
            Assert.True(configuration[$"{KeyRingCertificate.Section}:GeneratedCertificatePath"] is { } certificate && Path.IsPathRooted(certificate)
                || configuration[$"{KeyRingCertificate.Section}:CertificatePath"] is { Length: > 0 }, $"{name}: the key-ring certificate is set");
            var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
            Validator.ValidateObject(storage, new ValidationContext(storage), validateAllProperties: true);
        }
    }

    [Fact]
    public void Database_SharedMemory_HoldsTheLargestHnswBuildAnAppServiceAsksFor()
    {
        var database = compose.Services["db"];
        Assert.True(database.Children.ContainsKey("shm_size"), "db: shm_size is set (the container default, 64 MB, fails parallel index builds)");
        var shm = ComposeFile.Bytes(ComposeFile.Text(database.Children["shm_size"]));
        foreach (var (name, service) in compose.AppServices)
        {
            var corpora = ComposeFile.Configuration(service).GetSection(CorporaOptions.Section).Get<CorporaOptions>() ?? new CorporaOptions();
            Assert.True(shm > corpora.HnswBuildMemoryMb * (1L << 20),
                $"{name}: an index build may hold {corpora.HnswBuildMemoryMb} MB of shared memory; db's shm_size is {shm >> 20} MB");
        }
    }

    [Fact]
    public void WrittenPaths_OfEveryAppService_LieOnOneNamedVolumeEveryAppServiceMountsAtTheSamePlace()
    {
        var mounts = compose.AppServices.Values.Select(s => ComposeFile.Mounts(s).Where(m => compose.NamedVolumes.Contains(m.Source)).ToHashSet()).ToList();
        // One set of named volumes, the same in every app service: a file one writes, every other reads at the same path.
        Assert.All(mounts, m => Assert.Equal(mounts[0].Order(), m.Order()));
        foreach (var (name, service) in compose.AppServices)
        {
            foreach (var (setting, path) in WrittenPaths(ComposeFile.Configuration(service)))
            {
                Assert.True(Path.IsPathRooted(path), $"{name}: {setting} ({path}) is absolute");
                Assert.True(mounts[0].Any(m => Under(path, m.Target)), $"{name}: {setting} ({path}) lies on a named volume mounted by every app service");
            }
        }
    }

    [Fact]
    public void Workers_ScaleAndServeKnownQueues_TheDashboardRunsNoJobServer()
    {
        var web = compose.AppServices["web"];
        Assert.Equal("false", ComposeFile.Configuration(web)["SelfLong:Jobs:RunServer"]);
        foreach (var (name, service) in compose.AppServices.Where(s => s.Key != "web"))
        {
            var command = ComposeFile.Command(service);
            Assert.Equal(["SelfLong.Jobs.dll", "worker", "--queues"], command.Take(3));
            Assert.All(command[3].Split(','), queue => Assert.Contains(queue, JobQueues.All));
            // `docker compose up --scale worker=N` needs no fixed name and no published port.
            Assert.False(service.Children.ContainsKey("container_name"), name);
            Assert.False(service.Children.ContainsKey("ports"), name);
        }
        Assert.Equal(JobQueues.All.Order(), ComposeFile.Command(compose.AppServices["worker"])[3].Split(',').Order());
    }

    [Fact]
    public void GpuProfile_ItsWorker_BuildsWithCudaTorchSharpAndRequestsTheNvidiaDevice()
    {
        var (name, gpu) = Assert.Single(compose.Services, s => s.Value.Children.TryGetValue("profiles", out var p)
            && ((YamlSequenceNode)p).Children.Select(ComposeFile.Text).Contains("gpu"));
        Assert.Equal("cuda", ComposeFile.Text(ComposeFile.Map(gpu, "build", "args")!.Children["TORCH_DEVICE"]));
        Assert.Contains(JobQueues.Training, ComposeFile.Command(gpu)[3].Split(','));
        var device = (YamlMappingNode)Assert.Single(((YamlSequenceNode)ComposeFile.Map(gpu, "deploy", "resources", "reservations")!.Children["devices"]).Children);
        Assert.Equal("nvidia", ComposeFile.Text(device.Children["driver"]));
        Assert.Contains("gpu", ((YamlSequenceNode)device.Children["capabilities"]).Children.Select(ComposeFile.Text));
        // The other services build the CPU runtime; the build argument reaches the project's TorchDevice property.
        Assert.All(compose.AppServices.Where(s => s.Key != name), s => Assert.Equal("cpu", ComposeFile.Text(ComposeFile.Map(s.Value, "build", "args")!.Children["TORCH_DEVICE"])));
        var dockerfile = File.ReadAllText(Path.Combine(ComposeFile.Checkout(), "Dockerfile"));
        Assert.Contains("ARG TORCH_DEVICE", dockerfile);
        Assert.Contains("-p:TorchDevice=${TORCH_DEVICE}", dockerfile);
    }

    /// <summary>
    /// Every place the app writes files, as the app computes it from this configuration: the training
    /// runs folder, every folder setting of <see cref="StorageOptions"/> (found by reflection, so a new
    /// one is checked too) and the folder of the generated key-ring certificate.
    /// </summary>
    private static IEnumerable<(string Setting, string Path)> WrittenPaths(IConfiguration configuration)
    {
        yield return ("the training runs folder", RunFolders.RunsDirectory(configuration));
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        foreach (var property in typeof(StorageOptions).GetProperties().Where(p => p.PropertyType == typeof(string)))
            yield return ($"{StorageOptions.Section}:{property.Name}", (string)property.GetValue(storage)!);
        var certificate = configuration[$"{KeyRingCertificate.Section}:GeneratedCertificatePath"] ?? KeyRingCertificate.DefaultGeneratedPath;
        yield return ($"{KeyRingCertificate.Section}:GeneratedCertificatePath", certificate);
    }

    private static bool Under(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);
}

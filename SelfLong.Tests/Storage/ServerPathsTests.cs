using Microsoft.Extensions.Configuration;
using System.Diagnostics;
using SelfLong.Jobs.Storage;

namespace SelfLong.Tests.Storage;

/// <summary>The sandbox on a real file system: a root with a file and a folder, and a folder outside it.</summary>
public sealed class ServerPathsTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("selflong-root-").FullName;
    private readonly string outside = Directory.CreateTempSubdirectory("selflong-outside-").FullName;
    private readonly ServerPaths paths;

    public ServerPathsTests()
    {
        paths = ServerPaths.Under(root);
        Directory.CreateDirectory(Path.Combine(root, "models", "tiny"));
        File.WriteAllText(Path.Combine(root, "data.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret\n");
    }

    public void Dispose()
    {
        Directory.Delete(root, recursive: true);
        Directory.Delete(outside, recursive: true);
    }

    [Fact]
    public void Resolve_FileAndFolderUnderRoot_ReturnsTheirPaths()
    {
        Assert.Equal(Path.Combine(root, "data.jsonl"), paths.Resolve(Path.Combine(root, "data.jsonl"), ServerPathKind.File));
        Assert.Equal(Path.Combine(root, "models", "tiny"), paths.Resolve(Path.Combine(root, "models", "tiny") + "/", ServerPathKind.Folder));
        Assert.Equal(root, paths.Resolve(root, ServerPathKind.Folder));
    }

    [Fact]
    public void Resolve_DotDotOutOfRoot_Refused()
    {
        Assert.Null(paths.Resolve(Path.Combine(root, "..", Path.GetFileName(outside), "secret.txt"), ServerPathKind.File));
        Assert.Null(paths.Resolve(Path.Combine(root, "models", "..", "..", Path.GetFileName(outside)), ServerPathKind.Folder));
        // ".." that stays inside is fine.
        Assert.Equal(Path.Combine(root, "data.jsonl"), paths.Resolve(Path.Combine(root, "models", "..", "data.jsonl"), ServerPathKind.File));
    }

    [Fact]
    public void Resolve_SymlinkLeavingRoot_RefusedAndInsideResolved()
    {
        File.CreateSymbolicLink(Path.Combine(root, "leak.txt"), Path.Combine(outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(root, "elsewhere"), outside);
        File.CreateSymbolicLink(Path.Combine(root, "alias.jsonl"), "data.jsonl");
        Directory.CreateSymbolicLink(Path.Combine(root, "loop"), Path.Combine(root, "loop"));

        Assert.Null(paths.Resolve(Path.Combine(root, "leak.txt"), ServerPathKind.File));
        Assert.Null(paths.Resolve(Path.Combine(root, "elsewhere", "secret.txt"), ServerPathKind.File));
        Assert.Null(paths.Resolve(Path.Combine(root, "elsewhere"), ServerPathKind.Folder));
        Assert.Null(paths.Resolve(Path.Combine(root, "loop"), ServerPathKind.Folder));
        // A link inside the root gives the file it points to: what a job opens is what was checked.
        Assert.Equal(Path.Combine(root, "data.jsonl"), paths.Resolve(Path.Combine(root, "alias.jsonl"), ServerPathKind.File));
    }

    [Fact]
    public void Resolve_ProcDevicesAndPipes_RefusedEvenUnderAllowedRoot()
    {
        var everything = ServerPaths.Under("/");
        File.CreateSymbolicLink(Path.Combine(root, "zeros"), "/dev/zero");
        var fifo = Path.Combine(root, "pipe");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo));

        Assert.Null(everything.Resolve("/proc/self/environ", ServerPathKind.File));
        Assert.Null(everything.Resolve("/proc/self", ServerPathKind.Folder));
        Assert.Null(everything.Resolve("/sys/kernel", ServerPathKind.Folder));
        Assert.Null(everything.Resolve("/dev/zero", ServerPathKind.File));
        Assert.Null(everything.Resolve(Path.Combine(root, "zeros"), ServerPathKind.File));
        Assert.Null(paths.Resolve(Path.Combine(root, "zeros"), ServerPathKind.File));
        Assert.Null(paths.Resolve(fifo, ServerPathKind.File));
        Assert.Null(everything.Resolve(fifo, ServerPathKind.File));
        // A plain file is still taken when every folder is allowed.
        Assert.NotNull(everything.Resolve(Path.Combine(outside, "secret.txt"), ServerPathKind.File));
    }

    [Fact]
    public void Resolve_WrongKindMissingOrSiblingPrefix_Refused()
    {
        Assert.Null(paths.Resolve(Path.Combine(root, "data.jsonl"), ServerPathKind.Folder));
        Assert.Null(paths.Resolve(Path.Combine(root, "models"), ServerPathKind.File));
        Assert.Null(paths.Resolve(Path.Combine(root, "nope.jsonl"), ServerPathKind.File));
        Assert.Null(paths.Resolve("", ServerPathKind.Folder));
        // "/tmp/a-root2" is not under "/tmp/a-root".
        var sibling = Directory.CreateDirectory(root + "2").FullName;
        try
        {
            File.WriteAllText(Path.Combine(sibling, "x.txt"), "x");
            Assert.Null(paths.Resolve(Path.Combine(sibling, "x.txt"), ServerPathKind.File));
        }
        finally
        {
            Directory.Delete(sibling, recursive: true);
        }
    }

    [Fact]
    public void Check_EveryRefusal_SameMessageWithoutThePath()
    {
        var refusals = new[] { "/etc", "/root/.ssh", "/no/such/folder", Path.Combine(root, "data.jsonl"), "/proc/self" }
            .Select(p => paths.Check(p, ServerPathKind.Folder)).ToList();
        Assert.All(refusals, r => Assert.Null(r.Path));
        Assert.Single(refusals.Select(r => r.Error).Distinct());
        Assert.DoesNotContain("/", refusals[0].Error!.Replace("SelfLong:Storage:AllowedRoots", ""));
    }

    [Fact]
    public void Resolve_UploadedDataFile_AllowedWhateverTheConfiguredRootsWhileTheRestOfTheStorageRootIsNot()
    {
        var storage = Path.Combine(outside, "storage");
        Directory.CreateDirectory(Path.Combine(storage, "data-files"));
        Directory.CreateDirectory(Path.Combine(storage, "runs"));
        var uploaded = Path.Combine(storage, "data-files", "a.jsonl");
        File.WriteAllText(uploaded, "{}\n");
        File.WriteAllText(Path.Combine(storage, "runs", "b.jsonl"), "{}\n");
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageOptions.RootSetting] = storage }).Build();
        var sandbox = new ServerPaths(Microsoft.Extensions.Options.Options.Create(new StorageOptions { AllowedRoots = [root] }), configuration);

        Assert.Equal(uploaded, sandbox.Resolve(uploaded, ServerPathKind.File));
        Assert.Null(sandbox.Resolve(Path.Combine(storage, "runs", "b.jsonl"), ServerPathKind.File));
        Assert.Null(sandbox.Resolve(Path.Combine(storage, "data-files", "..", "runs", "b.jsonl"), ServerPathKind.File));
    }
}

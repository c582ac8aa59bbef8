using System.Runtime.InteropServices;

namespace SelfLong.Jobs.Storage;

/// <summary>
/// The type of a file system entry as the kernel reports it. .NET's FileSystemInfo tells a folder
/// from a file but not a regular file from a device, pipe or socket (File.Exists("/dev/zero") is
/// true), and a data file that is /dev/zero or a FIFO would hang or grow a job without limit.
/// statx(2) is used because its struct layout is the same on every Linux architecture.
/// </summary>
internal static class FileKind
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x0001;
    private const ushort TypeMask = 0xF000;
    private const ushort RegularFile = 0x8000;
    private const ushort Directory = 0x4000;

    /// <summary>True for a regular file, false for anything else (or when it cannot be examined).</summary>
    public static bool IsRegularFile(string path) => Type(path) == RegularFile;

    /// <summary>True for a folder.</summary>
    public static bool IsDirectory(string path) => Type(path) == Directory;

    private static ushort? Type(string path)
    {
        // struct statx is 256 bytes; stx_mode is the 16-bit field at offset 28.
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
        return (ushort)(BitConverter.ToUInt16(buffer, 28) & TypeMask);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}

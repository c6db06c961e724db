using System.Runtime.InteropServices;

namespace SourceStripe.Protocol;

/// <summary>
/// The process's stdout, where Flow's runtime reads the captured documents through a pipe. A pipe holds 64 KiB
/// by default, so a page's lines (about 1 MB of Stripe's indented objects) filled it 15 times over in one write,
/// and the writer slept and woke for each 64 KiB the runtime read: in bench (b) a third of the connector's CPU
/// samples were those switches. With 1 MiB (the most an unprivileged process may ask, by default) a page goes in
/// one or two.
/// </summary>
public static class StandardOutput
{
    /// <summary>The pipe capacity asked for; Linux caps it at /proc/sys/fs/pipe-max-size (1 MiB by default).</summary>
    public const int PipeCapacity = 1024 * 1024;

    private const int SetPipeSize = 1031;
    private const int StandardOutputFile = 1;

    public static Stream Open()
    {
        if (OperatingSystem.IsLinux())
        {
            // Not a pipe (a file, a terminal), or a larger size refused by the system's limits: the stream works
            // as it is, only with more wake-ups, so the answer is not checked.
            _ = Fcntl(StandardOutputFile, SetPipeSize, PipeCapacity);
        }
        return Console.OpenStandardOutput();
    }

    // DllImport rather than LibraryImport, which needs unsafe code enabled: three ints need no marshalling.
    [DllImport("libc", EntryPoint = "fcntl")]
    private static extern int Fcntl(int descriptor, int command, int argument);
}

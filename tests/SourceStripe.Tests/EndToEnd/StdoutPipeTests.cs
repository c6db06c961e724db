using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using SourceStripe.Protocol;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>The binary widens the pipe Flow reads its documents from (see <see cref="StandardOutput"/>).</summary>
public sealed class StdoutPipeTests
{
    private const int GetPipeSize = 1032;

    [Fact]
    public async Task The_binary_widens_its_stdout_pipe_to_1_MiB()
    {
        using var process = Process.Start(await PublishedConnector.StartInfoAsync())!;
        await process.StandardInput.WriteAsync("{\"spec\":{}}\n");
        process.StandardInput.Close();
        var answer = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("\"spec\"", answer);

        // The capacity belongs to the pipe, so the reading end sees what the writer set, after the writer is gone.
        var readEnd = ((PipeStream)process.StandardOutput.BaseStream).SafePipeHandle;
        var capacity = Fcntl((int)readEnd.DangerousGetHandle(), GetPipeSize, 0);
        var systemLimit = int.Parse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Math.Min(StandardOutput.PipeCapacity, systemLimit), capacity);
    }

    [DllImport("libc", EntryPoint = "fcntl")]
    private static extern int Fcntl(int descriptor, int command, int argument);
}

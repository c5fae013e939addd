using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Loadstone.Scaling.Etcd;

/// <summary>
/// Processes that do not belong to the process that started them: started in a session of their own (<c>setsid</c>,
/// when installed) with their output in a file, and found again by process id and start time (so a reused process id
/// is not mistaken for the instance). Unix only.
/// </summary>
internal static partial class DetachedProcesses
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    // Redirects the program's output to the file named by $LOADSTONE_LOG, then becomes the program (same process id).
    private const string Exec = "exec \"$0\" \"$@\" >>\"$LOADSTONE_LOG\" 2>&1 </dev/null";

    private static readonly string? s_setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    /// <summary>Starts a program detached; returns the process (whose id is the program's) and its start time.</summary>
    public static (Process Process, long StartTime) Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string> environment,
        string? workingDirectory, string logPath)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("DetachedProcessLauncher needs a Unix system (/bin/sh, and setsid when installed).");
        }

        var start = new ProcessStartInfo(s_setsid ?? "/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory ?? string.Empty };
        if (s_setsid is not null)
        {
            start.ArgumentList.Add("/bin/sh");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Exec);
        start.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["LOADSTONE_LOG"] = logPath;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"'{fileName}' did not start.");
        return (process, StartTime(process.Id));
    }

    /// <summary>The process's start time as the system counts it (clock ticks since boot on Linux), or 0 when unknown.</summary>
    public static long StartTime(int pid) => ReadStat(pid) is { } stat ? stat.StartTime : 0;

    /// <summary>Whether the process runs (not exited, not a zombie) and is the one started at <paramref name="startTime"/> (0: any).</summary>
    public static bool IsAlive(int pid, long startTime)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (OperatingSystem.IsLinux())
        {
            return ReadStat(pid) is { } stat && stat.State is not ('Z' or 'X') && (startTime == 0 || stat.StartTime == startTime);
        }

        return Kill(pid, 0) == 0;
    }

    /// <summary>Asks the process to stop (SIGTERM), waits up to <paramref name="timeout"/>, then kills it (SIGKILL).</summary>
    /// <returns>Whether it had to be killed.</returns>
    public static async Task<bool> StopAsync(int pid, long startTime, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!IsAlive(pid, startTime))
        {
            return false;
        }

        _ = Kill(pid, SigTerm);
        if (await ExitedAsync(pid, startTime, timeout, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        _ = Kill(pid, SigKill);
        await ExitedAsync(pid, startTime, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Kills the process at once (SIGKILL).</summary>
    public static void KillNow(int pid, long startTime)
    {
        if (IsAlive(pid, startTime))
        {
            _ = Kill(pid, SigKill);
        }
    }

    private static async Task<bool> ExitedAsync(int pid, long startTime, TimeSpan within, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (IsAlive(pid, startTime))
        {
            if (watch.Elapsed >= within)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static (char State, long StartTime)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // pid (comm) state ppid ... ; comm may hold spaces and parentheses, so fields are counted after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? (fields[0][0], start)
            : null;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Loadstone.LoadLab;

/// <summary>
/// Every process the lab starts (backends, proxies) is registered here and killed, with its children, when the lab
/// ends: normally, on an exception, on Ctrl+C or on SIGTERM. Backends also watch the lab's process id and exit
/// when it is gone, and proxies run under bench/scripts/with-parent.sh, which does the same, so even a lab killed
/// with SIGKILL leaves no orphans.
/// </summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> s_processes = new();
    private static int s_hooked;
    private static PosixSignalRegistration? s_sigterm;

    /// <summary>Starts a process and registers it.</summary>
    public static Process Start(ProcessStartInfo info, string label, TextWriter? log = null)
    {
        Hook();
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && log is not null) { lock (log) { log.WriteLine($"[{label}] {line}"); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && log is not null) { lock (log) { log.WriteLine($"[{label}] {line}"); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        s_processes[process.Id] = process;
        return process;
    }

    /// <summary>
    /// Stops one process and its children, and forgets it: SIGTERM first (so nginx's master reaps its workers), then
    /// SIGKILL to the whole tree after <paramref name="grace"/>. With a zero grace it is SIGKILL at once, as a crash.
    /// </summary>
    public static void Kill(Process process, TimeSpan? grace = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        s_processes.TryRemove(process.Id, out _);
        try
        {
            var wait = grace ?? TimeSpan.FromSeconds(3);
            if (!process.HasExited && wait > TimeSpan.Zero && OperatingSystem.IsLinux())
            {
                _ = NativeMethods.kill(process.Id, 15);
                process.WaitForExit(wait);
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        process.Dispose();
    }

    /// <summary>Kills every registered process.</summary>
    public static void KillAll()
    {
        var all = s_processes.Values.ToArray();
        foreach (var process in all)
        {
            try
            {
                if (!process.HasExited && OperatingSystem.IsLinux())
                {
                    _ = NativeMethods.kill(process.Id, 15);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }

        foreach (var process in all)
        {
            Kill(process, TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>How many started processes are still registered (for the smoke test).</summary>
    public static int Count => s_processes.Count;

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int kill(int pid, int sig);
    }

    private static void Hook()
    {
        if (Interlocked.Exchange(ref s_hooked, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillAll();
        s_sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => KillAll());
    }
}

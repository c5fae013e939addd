using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Loadstone.Discovery.Tests;

/// <summary>
/// A real instance process (tests/Loadstone.Discovery.TestInstance) that registers itself in etcd: started with its
/// settings in the environment, stopped gracefully with SIGTERM or killed with SIGKILL.
/// </summary>
public sealed partial class InstanceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    private InstanceProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>The etcd key it registered, <c>{prefix}{name}</c>.</summary>
    public string Key { get; private set; } = "";

    /// <summary>Its address, e.g. <c>http://127.0.0.1:40111</c>.</summary>
    public string Address { get; private set; } = "";

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Starts an instance and waits until it has registered (bounded).</summary>
    public static async Task<InstanceProcess> StartAsync(string name, EtcdServer etcd, string prefix, int leaseTtlSeconds = 2, int drainMilliseconds = 1_000)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{Dll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["LOADSTONE_ETCD"] = etcd.ClientUrl;
        info.Environment["LOADSTONE_PREFIX"] = prefix;
        info.Environment["LOADSTONE_INSTANCE_ID"] = name;
        info.Environment["LOADSTONE_LEASE_TTL_S"] = leaseTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["LOADSTONE_DRAIN_MS"] = drainMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        var instance = new InstanceProcess(Process.Start(info)!, name);
        instance._process.OutputDataReceived += (_, e) => instance.OnLine(e.Data);
        instance._process.ErrorDataReceived += (_, e) => instance.OnLine(e.Data);
        instance._process.BeginOutputReadLine();
        instance._process.BeginErrorReadLine();
        try
        {
            instance.Key = await instance._registered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            instance.Address = (await instance._listening.Task.WaitAsync(TimeSpan.FromSeconds(5))).TrimEnd('/');
        }
        catch (TimeoutException)
        {
            await instance.DisposeAsync();
            throw new InvalidOperationException($"Instance {name} did not register within 30 s. Output:{Environment.NewLine}{instance.Output}");
        }

        return instance;
    }

    /// <summary>Asks the instance to stop (SIGTERM), as an orchestrator does; it deregisters, drains and exits.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"SIGTERM to {_process.Id} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Kills the instance (SIGKILL): no deregistration; its key lives until the lease expires.</summary>
    public void Kill() => _process.Kill();

    public Task WaitForExitAsync(TimeSpan within) => _process.WaitForExitAsync(new CancellationTokenSource(within).Token);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string Dll
    {
        get
        {
            // .../tests/Loadstone.Discovery.Tests/bin/{Configuration}/{tfm}/ → .../tests/Loadstone.Discovery.TestInstance/bin/{Configuration}/{tfm}/
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var tfm = output.Name;
            var configuration = output.Parent!.Name;
            var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(tests, "Loadstone.Discovery.TestInstance", "bin", configuration, tfm, "Loadstone.Discovery.TestInstance.dll");
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (RegisteredLine().Match(line) is { Success: true } match)
        {
            _registered.TrySetResult(match.Groups[1].Value);
        }
        else if (line.StartsWith("ADDRESS ", StringComparison.Ordinal))
        {
            _listening.TrySetResult(line["ADDRESS ".Length..]);
        }
    }

    [GeneratedRegex("Registered this instance as '([^']+)'")]
    private static partial Regex RegisteredLine();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;

namespace Loadstone.Scaling.Etcd.Tests;

/// <summary>
/// A real client process (tests/Loadstone.Scaling.Etcd.TestClient) running the "catalog" group coordinated through etcd,
/// read and driven through its control API; killed with SIGKILL or stopped with SIGTERM.
/// </summary>
internal sealed class ClientProcess : IAsyncDisposable
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _control = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    private ClientProcess(Process process, string id)
    {
        _process = process;
        Id = id;
    }

    public string Id { get; }

    public bool HasExited => _process.HasExited;

    public Uri Control { get; private set; } = null!;

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

    public static async Task<ClientProcess> StartAsync(string id, string etcd, string instanceEtcd, string prefix, string stateDirectory)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{Dll("Loadstone.Scaling.Etcd.TestClient")}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["LOADSTONE_ETCD"] = etcd;
        info.Environment["LOADSTONE_INSTANCE_ETCD"] = instanceEtcd;
        info.Environment["LOADSTONE_GROUP_PREFIX"] = prefix;
        info.Environment["LOADSTONE_CLIENT_ID"] = id;
        info.Environment["LOADSTONE_INSTANCE_DLL"] = Dll("Loadstone.Discovery.TestInstance");
        info.Environment["LOADSTONE_STATE_DIR"] = stateDirectory;
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        var client = new ClientProcess(Process.Start(info)!, id);
        client._process.OutputDataReceived += (_, e) => client.OnLine(e.Data);
        client._process.ErrorDataReceived += (_, e) => client.OnLine(e.Data);
        client._process.BeginOutputReadLine();
        client._process.BeginErrorReadLine();
        try
        {
            client.Control = await client._control.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            await client.DisposeAsync();
            throw new InvalidOperationException($"Client {id} did not start within 30 s. Output:{Environment.NewLine}{client.Output}");
        }

        return client;
    }

    public async Task<ClientStatus> StatusAsync() =>
        (await s_http.GetFromJsonAsync<ClientStatus>(new Uri(Control, "/status")))!;

    public async Task<ClientStatus?> TryStatusAsync()
    {
        try
        {
            return HasExited ? null : await StatusAsync();
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    public async Task LoadAsync(int workers, int milliseconds)
    {
        using var response = await s_http.PostAsync(new Uri(Control, $"/load?workers={workers}&ms={milliseconds}"), null);
        response.EnsureSuccessStatusCode();
    }

    public async Task<ClientResults> ResultsAsync() =>
        (await s_http.GetFromJsonAsync<ClientResults>(new Uri(Control, "/results")))!;

    /// <summary>Kills the client (SIGKILL): no resignation, no clean-up; its lease expires.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Asks the client to stop (SIGTERM): it gives leadership up and leaves its instances running.</summary>
    public void Terminate() => _ = kill(_process.Id, 15);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string Dll(string project)
    {
        // .../tests/Loadstone.Scaling.Etcd.Tests/bin/{Configuration}/{tfm}/ → .../tests/{project}/bin/{Configuration}/{tfm}/{project}.dll
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = output.Name;
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(tests, project, "bin", configuration, tfm, project + ".dll");
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

        if (line.StartsWith("CONTROL ", StringComparison.Ordinal))
        {
            _control.TrySetResult(new Uri(line["CONTROL ".Length..]));
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}

internal sealed record ClientStatus(string ClientId, bool IsLeader, bool CoordinatorLeads, DateTimeOffset? ElectedAt, DateTimeOffset? ActingAt,
    DateTimeOffset? SteppedDownAt, int DesiredCapacity, InstanceView[] Instances, ActivityView[] Activities, string[] PoolMembers, int Reporters)
{
    public int InService => Instances.Count(i => i.State == "InService");
}

internal sealed record InstanceView(string Id, string State, string? Endpoint);

internal sealed record ActivityView(long Id, string Kind, string Status, string? InstanceId, string Description, string Cause);

internal sealed record ClientResults(long Requests, long Failed, string[] Failures);

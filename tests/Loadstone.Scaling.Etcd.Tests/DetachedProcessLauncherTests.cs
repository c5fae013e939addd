using System.Diagnostics;

namespace Loadstone.Scaling.Etcd.Tests;

/// <summary>The detached process launcher with a real etcd and the real instance app: ready when registered, stopped gracefully, found again by a second launcher.</summary>
public sealed class DetachedProcessLauncherTests : IAsyncLifetime
{
    private readonly string _prefix = $"/loadstone/scaling/catalog-{Guid.NewGuid():N}/";
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("loadstone-detached-");
    private readonly List<EtcdScalingCoordinator> _coordinators = [];
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var pidFile in _state.GetFiles("*.pid"))
        {
            try
            {
                using var process = Process.GetProcessById(int.Parse(File.ReadAllText(pidFile.FullName).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
                process.Kill();
            }
            catch (ArgumentException)
            {
                // Gone.
            }
        }

        foreach (var coordinator in _coordinators)
        {
            await coordinator.DisposeAsync();
        }

        await _etcd.DisposeAsync();
        _state.Delete(recursive: true);
    }

    private async Task<DetachedProcessLauncher> LauncherAsync(Action<DetachedProcessLauncherOptions>? configure = null)
    {
        var options = new EtcdScalingOptions { Prefix = _prefix, LeaseTtl = TimeSpan.FromSeconds(2) };
        options.Endpoints.Add(_etcd.ClientUrl);
        var coordinator = new EtcdScalingCoordinator("catalog", options);
        _coordinators.Add(coordinator);
        await coordinator.StartAsync(CancellationToken.None);
        var launch = new DetachedProcessLauncherOptions { FileName = "dotnet", StateDirectory = _state.FullName, StopTimeout = TimeSpan.FromSeconds(10) };
        launch.Arguments.Add(ClientDll("Loadstone.Discovery.TestInstance"));
        launch.Environment["LOADSTONE_LEASE_TTL_S"] = "2";
        launch.Environment["LOADSTONE_DRAIN_MS"] = "200";
        configure?.Invoke(launch);
        return new DetachedProcessLauncher(launch, coordinator);
    }

    [Fact]
    public async Task Launch_ReadyOnceRegistered_FoundAgainByAnotherLauncher_StoppedGracefully()
    {
        var first = await LauncherAsync();
        var second = await LauncherAsync();

        var launched = await first.LaunchAsync("catalog-7", "a", CancellationToken.None);
        Assert.True(DetachedId.TryParse(launched.Id, out var id));
        Assert.Equal("catalog-7", id.Instance);
        Assert.True(DetachedProcesses.IsAlive(id.Pid, id.StartTime));
        Assert.Equal("a", launched.Zone);
        Assert.Equal([_prefix + "instances/catalog-7"], await _etcd.KeysAsync(_prefix + "instances/"));
        using var http = new HttpClient();
        Assert.Equal("catalog-7", await http.GetStringAsync(launched.Endpoint.Address));

        // Another copy of the group (a new leader) finds it from the group's record and the process id file.
        var resumed = await second.ResumeLaunchAsync("catalog-7", "a", DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(launched.Id, resumed!.Id);
        await Eventually.TrueAsync(() => second.GetStatus(second.Reattach(launched)) == InstanceStatus.Running, "the second launcher to see it run");

        await second.StopAsync(launched, CancellationToken.None);

        Assert.False(DetachedProcesses.IsAlive(id.Pid, id.StartTime));
        Assert.Empty(await _etcd.KeysAsync(_prefix + "instances/")); // it deregistered itself on SIGTERM
        Assert.Equal(InstanceStatus.Stopped, first.GetStatus(launched));
        Assert.Equal(1, File.ReadLines(Path.Combine(_state.FullName, "catalog-7.log")).Count(l => l.Contains("Registered this instance as", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Launch_ProcessExitsBeforeRegistering_FailsWithItsExitCode()
    {
        var launcher = await LauncherAsync(o => o.Environment["LOADSTONE_PREFIX"] = ""); // the instance refuses to start without a prefix

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await launcher.LaunchAsync("catalog-1", null, CancellationToken.None));

        Assert.Contains("exited with code", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_state.FullName, "catalog-1.pid")));
    }

    [Fact]
    public async Task ResumeLaunch_NothingEverStarted_ReturnsNullWhenTheReadinessTimeoutHasPassed()
    {
        var launcher = await LauncherAsync(o => o.ReadinessTimeout = TimeSpan.FromSeconds(1));

        var resumed = await launcher.ResumeLaunchAsync("catalog-9", null, DateTimeOffset.UtcNow - TimeSpan.FromSeconds(2), CancellationToken.None);

        Assert.Null(resumed);
    }

    private static string ClientDll(string project)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tests = output.Parent!.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(tests, project, "bin", output.Parent.Name, output.Name, project + ".dll");
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Loadstone.Scaling.Tests;

public sealed class ProcessInstanceLauncherTests
{
    /// <summary>The tiny Kestrel backend (tests/Loadstone.TestBackend), built before the tests by a ProjectReference.</summary>
    internal static string BackendDll
    {
        get
        {
            // .../tests/Loadstone.Tests/bin/{Configuration}/{tfm}/ → .../tests/Loadstone.TestBackend/bin/{Configuration}/{tfm}/
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var tfm = baseDir.Name;
            var configuration = baseDir.Parent!.Name;
            var tests = baseDir.Parent.Parent!.Parent!.Parent!.FullName;
            var dll = Path.Combine(tests, "Loadstone.TestBackend", "bin", configuration, tfm, "Loadstone.TestBackend.dll");
            Assert.True(File.Exists(dll), $"The test backend was not built: {dll}");
            return dll;
        }
    }

    internal static ProcessLauncherOptions BackendOptions(int version = 1)
    {
        var options = new ProcessLauncherOptions
        {
            FileName = "dotnet",
            StopTimeout = TimeSpan.FromSeconds(10),
            LaunchTemplateVersion = version,
        };
        options.Arguments.Add(BackendDll);
        options.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        options.Environment["ASPNETCORE_SHUTDOWNTIMEOUTSECONDS"] = "10";
        return options;
    }

    internal static bool HasExited(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    [Fact]
    public async Task LaunchAsync_RealBackend_ReadyServesZoneAndStopsGracefully()
    {
        using var launcher = new ProcessInstanceLauncher(BackendOptions(version: 3));
        var instance = await launcher.LaunchAsync("zone-a", CancellationToken.None);
        var pid = ((Process)instance.Handle!).Id;
        try
        {
            Assert.Equal("zone-a", instance.Zone);
            Assert.Equal("zone-a", instance.Endpoint.Zone);
            Assert.Equal(3, instance.LaunchTemplateVersion);
            Assert.Equal("127.0.0.1", instance.Endpoint.Address.Host);
            Assert.Equal(InstanceStatus.Running, launcher.GetStatus(instance));
            using var http = new HttpClient();
            var body = await http.GetStringAsync(instance.Endpoint.Address);
            Assert.Equal($"{instance.Id} zone-a {pid}", body);
        }
        finally
        {
            await launcher.StopAsync(instance, CancellationToken.None);
        }

        Assert.True(HasExited(pid));
        Assert.Equal(InstanceStatus.Stopped, launcher.GetStatus(instance));
        Assert.Empty(launcher.ProcessIds);
    }

    [Fact]
    public async Task Dispose_RunningChildren_AreKilled()
    {
        var launcher = new ProcessInstanceLauncher(BackendOptions());
        var a = await launcher.LaunchAsync(null, CancellationToken.None);
        var b = await launcher.LaunchAsync(null, CancellationToken.None);
        var pids = launcher.ProcessIds.ToList();
        Assert.Equal(2, pids.Count);
        Assert.NotEqual(a.Endpoint, b.Endpoint);

        launcher.Dispose();

        Assert.All(pids, pid => Assert.True(HasExited(pid)));
    }

    [Fact]
    public async Task LaunchAsync_ProcessExitsBeforeReady_ThrowsWithExitCode()
    {
        var options = BackendOptions();
        options.Arguments.Clear();
        options.Arguments.Add(Path.Combine(Path.GetTempPath(), "no-such-backend.dll"));
        using var launcher = new ProcessInstanceLauncher(options);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await launcher.LaunchAsync(null, CancellationToken.None));
        Assert.Contains("exited with code", ex.Message, StringComparison.Ordinal);
        Assert.Empty(launcher.ProcessIds);
    }

    [Fact]
    public async Task GetStatus_ProcessKilledFromOutside_Stopped()
    {
        using var launcher = new ProcessInstanceLauncher(BackendOptions());
        var instance = await launcher.LaunchAsync(null, CancellationToken.None);
        var process = (Process)instance.Handle!;
        process.Kill();
        await process.WaitForExitAsync();
        Assert.Equal(InstanceStatus.Stopped, launcher.GetStatus(instance));
    }

    [Fact]
    public void Constructor_InvalidOptions_NamesSettings()
    {
        var options = new ProcessLauncherOptions { FileName = " ", ReadinessTimeout = TimeSpan.Zero, ReadinessPath = "health" };
        var ex = Assert.Throws<OptionsValidationException>(() => new ProcessInstanceLauncher(options));
        Assert.Contains("ProcessLauncherOptions.FileName is required.", ex.Failures);
        Assert.Contains("ProcessLauncherOptions.ReadinessTimeout (00:00:00) must be between 1 s and 10 min.", ex.Failures);
        Assert.Contains("ProcessLauncherOptions.ReadinessPath ('health') must start with '/'.", ex.Failures);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Readme;

/// <summary>
/// The README's first example is a whole web app, and samples/Loadstone.WebApp/Program.cs is that example verbatim: it
/// compiles with the web SDK's implicit usings (where a type named like an ASP.NET Core one would not), and, run as a
/// process, it balances over real backends.
/// </summary>
public sealed partial class ReadmeWebAppTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void Readme_FirstExample_IsTheSampleProgramVerbatim()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot, "README.md"));
        var section = readme.IndexOf("### 1. In code", StringComparison.Ordinal);
        Assert.True(section >= 0, "the README has its '### 1. In code' section");
        var start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        var end = readme.IndexOf("```", start, StringComparison.Ordinal);
        var snippet = readme[start..end];

        var program = File.ReadAllText(Path.Combine(RepoRoot, "samples", "Loadstone.WebApp", "Program.cs")).ReplaceLineEndings("\n");

        Assert.Equal(snippet, program);
    }

    [Fact]
    public async Task WebApp_RunAgainstItsEndpoints_EveryRequestAnsweredAndSpreadOverThem()
    {
        // The example's endpoints, localhost:5080 and :5081, served by Kestrel backends (IPv4 and IPv6 loopback).
        var backends = new[] { await StartAtAsync("a", 5080), await StartAtAsync("b", 5081) };
        using var app = StartApp();
        try
        {
            var url = await app.ListeningUrl.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            var answers = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, 60), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
                answers.Add(await client.GetStringAsync("/items", ct)));

            Assert.Equal(60, answers.Count);
            Assert.Equal(["a", "b"], answers.Distinct().Order());
            Assert.All(backends, b => Assert.All(b.Received, path => Assert.Equal("/items?page=2", path)));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    private static async Task<TestBackend> StartAtAsync(string name, int port)
    {
        // A fixed port: it is the README's. A busy one (another run of this test) is waited for, bounded.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await TestBackend.StartAsync(name, l =>
                {
                    l.Options.Listen(System.Net.IPAddress.Loopback, port);
                    l.Options.Listen(System.Net.IPAddress.IPv6Loopback, port);
                });
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private static AppProcess StartApp()
    {
        var dll = Path.Combine(AppContext.BaseDirectory.Replace("tests/Loadstone.Tests", "samples/Loadstone.WebApp", StringComparison.Ordinal), "Loadstone.WebApp.dll");
        Assert.True(File.Exists(dll), $"the sample is built: {dll}");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        return new AppProcess(Process.Start(start) ?? throw new InvalidOperationException("The sample did not start."));
    }

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Library.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Library.sln not found above the test binaries.");
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();

    /// <summary>The sample's process: its address once Kestrel logs it; killed with its tree on dispose.</summary>
    private sealed class AppProcess : IDisposable
    {
        private readonly Process _process;

        public AppProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && Listening().Match(line) is { Success: true } match)
                {
                    ListeningUrl.TrySetResult(match.Groups[1].Value);
                }
            };
            _process.ErrorDataReceived += (_, _) => { };
            _process.Exited += (_, _) => ListeningUrl.TrySetException(new InvalidOperationException($"The sample exited with {_process.ExitCode}."));
            _process.EnableRaisingEvents = true;
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public TaskCompletionSource<string> ListeningUrl { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }
    }
}

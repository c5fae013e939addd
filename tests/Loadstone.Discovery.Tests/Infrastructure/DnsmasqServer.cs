using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using DnsClient;

namespace Loadstone.Discovery.Tests;

/// <summary>
/// A real dnsmasq on 127.0.0.1 with an unprivileged port and a generated configuration: <see cref="RestartAsync"/>
/// changes its answers, <see cref="Stop"/> takes it away (an outage). Names under <c>test</c> are answered from the
/// configuration only (<c>local=/test/</c>): a name it does not list gets NXDOMAIN.
/// </summary>
public sealed class DnsmasqServer : IAsyncDisposable
{
    // Debian installs it in /usr/sbin, which is not on every user's PATH.
    private static readonly string Binary = File.Exists("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : "dnsmasq";
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("loadstone-dnsmasq-");
    private Process? _process;
    private int _generation;

    private DnsmasqServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>The name server option value for sources: <c>127.0.0.1:{port}</c>.</summary>
    public string NameServer => $"127.0.0.1:{Port}";

    /// <summary>dnsmasq's own log (queries and answers), for diagnosing a failed test.</summary>
    public string LogPath => Path.Combine(_directory.FullName, "dnsmasq.log");

    /// <summary>Starts dnsmasq with the given configuration lines (<c>srv-host=…</c>, <c>host-record=…</c>).</summary>
    /// <param name="records">Lines added to the generated configuration.</param>
    /// <param name="ttl">The TTL of every answer (<c>local-ttl</c>), in seconds.</param>
    public static async Task<DnsmasqServer> StartAsync(IEnumerable<string> records, int ttl = 5)
    {
        var server = new DnsmasqServer(FreePorts.TcpAndUdp());
        await server.StartProcessAsync(records, ttl);
        return server;
    }

    /// <summary>Stops dnsmasq and starts it again on the same port with a new configuration.</summary>
    public async Task RestartAsync(IEnumerable<string> records, int ttl = 5)
    {
        Stop();
        await StartProcessAsync(records, ttl);
    }

    /// <summary>Stops dnsmasq: queries time out (or are refused by the closed port) until it is restarted.</summary>
    public void Stop()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5_000);
            }

            process.Dispose();
            _process = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Leave it for the temp cleaner.
        }

        return ValueTask.CompletedTask;
    }

    private async Task StartProcessAsync(IEnumerable<string> records, int ttl)
    {
        _generation++;
        var config = Path.Combine(_directory.FullName, $"dnsmasq-{_generation}.conf");
        var lines = new List<string>
        {
            $"port={Port}",
            "listen-address=127.0.0.1",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "keep-in-foreground",
            "pid-file=",
            "log-queries",
            "log-facility=-",
            "local=/test/",
            $"local-ttl={ttl}",
            $"txt-record=ready-{_generation}.test,ok",
        };
        lines.AddRange(records);
        await File.WriteAllLinesAsync(config, lines);

        var info = new ProcessStartInfo(Binary, $"--conf-file={config}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        try
        {
            _process = Process.Start(info) ?? throw new InvalidOperationException("dnsmasq did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                "dnsmasq is needed by the DNS discovery tests and could not be started; install it with 'apt-get install -y dnsmasq'.", ex);
        }

        var log = new StreamWriter(LogPath, append: true, Encoding.UTF8) { AutoFlush = true };
        _process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _process.OutputDataReceived += (_, e) => Write(log, e.Data);
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => log.Dispose();
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        await WaitUntilAnsweringAsync();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        try
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task WaitUntilAnsweringAsync()
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Loopback, Port))
        {
            UseCache = false,
            Retries = 0,
            Timeout = TimeSpan.FromMilliseconds(300),
            ThrowDnsErrors = false,
        });
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"dnsmasq exited at start (code {_process.ExitCode}); see {LogPath}: {ReadLog()}");
            }

            try
            {
                var response = await client.QueryAsync($"ready-{_generation}.test", QueryType.TXT);
                if (!response.HasError && response.Answers.Count > 0)
                {
                    return;
                }
            }
            catch (DnsResponseException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"dnsmasq did not answer on port {Port} within 15 s; see {LogPath}: {ReadLog()}");
    }

    private string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loadstone.Discovery.Etcd;

/// <summary>Joins the peer registry when the host starts (waiting a bounded time) and leaves it when the host stops.</summary>
internal sealed partial class EtcdPeerRegistryHostedService(EtcdPeerRegistry registry, ILoggerFactory? loggerFactory) : IHostedService
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Loadstone.Discovery.EtcdPeers");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await registry.JoinAsync(cancellationToken).WaitAsync(registry.JoinTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.JoinPending(_logger, registry.Name, registry.JoinTimeout);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await registry.DisposeAsync().ConfigureAwait(false);

    private static partial class Log
    {
        [LoggerMessage(1367, LogLevel.Warning, "Peer registry '{Registry}' did not give this client a slot within {Timeout}; it starts as 0 of 1 and takes its coordinate when it joins.", EventName = "EtcdPeerJoinPending")]
        public static partial void JoinPending(ILogger logger, string registry, TimeSpan timeout);
    }
}

using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling.Etcd;

/// <content>Logs, with event ids 1500–1519.</content>
public sealed partial class EtcdScalingCoordinator
{
    private static partial class Log
    {
        [LoggerMessage(1500, LogLevel.Information, "Scaling coordination '{Coordinator}': client {Client} campaigns with create revision {Revision}.", EventName = "ScalingCampaigning")]
        public static partial void Campaigning(ILogger logger, string coordinator, string client, long revision);

        [LoggerMessage(1501, LogLevel.Information, "Scaling coordination '{Coordinator}': client {Client} leads (term {Term}).", EventName = "ScalingElected")]
        public static partial void Elected(ILogger logger, string coordinator, string client, long term);

        [LoggerMessage(1502, LogLevel.Warning, "Scaling coordination '{Coordinator}': client {Client} no longer leads: {Why}.", EventName = "ScalingNotLeading")]
        public static partial void NotLeading(ILogger logger, string coordinator, string client, string why);

        [LoggerMessage(1503, LogLevel.Warning, "Scaling coordination '{Coordinator}': etcd refused a write of client {Client} for term {Term}: its candidate key is gone; it no longer leads.", EventName = "ScalingFenceRefused")]
        public static partial void FenceRefused(ILogger logger, string coordinator, string client, long term);

        [LoggerMessage(1504, LogLevel.Warning, "Scaling coordination '{Coordinator}': could not campaign; trying again.", EventName = "ScalingCampaignFailed")]
        public static partial void CampaignFailed(ILogger logger, string coordinator, Exception exception);

        [LoggerMessage(1505, LogLevel.Warning, "Scaling coordination '{Coordinator}': the lease could not be granted or kept alive at {Endpoint}; trying again in {Delay}.", EventName = "ScalingSessionFailed")]
        public static partial void SessionFailed(ILogger logger, string coordinator, Uri endpoint, TimeSpan delay, Exception exception);

        [LoggerMessage(1506, LogLevel.Warning, "Scaling coordination '{Coordinator}': the watch of the group's keys failed; trying again in {Delay}.", EventName = "ScalingWatchFailed")]
        public static partial void WatchFailed(ILogger logger, string coordinator, TimeSpan delay, Exception exception);

        [LoggerMessage(1507, LogLevel.Information, "Scaling coordination '{Coordinator}': client {Client} resigned (was leading: {WasLeader}).", EventName = "ScalingResigned")]
        public static partial void Resigned(ILogger logger, string coordinator, string client, bool wasLeader);

        [LoggerMessage(1508, LogLevel.Warning, "Scaling coordination '{Coordinator}': could not resign; leadership lapses when the lease expires (TTL {Ttl}).", EventName = "ScalingResignFailed")]
        public static partial void ResignFailed(ILogger logger, string coordinator, TimeSpan ttl, Exception exception);

        [LoggerMessage(1509, LogLevel.Debug, "Scaling coordination '{Coordinator}': could not publish this client's load report.", EventName = "ScalingReportFailed")]
        public static partial void ReportFailed(ILogger logger, string coordinator, Exception exception);

        [LoggerMessage(1510, LogLevel.Warning, "Scaling coordination '{Coordinator}': the load report at '{Key}' is not valid ({Problem}); it is ignored.", EventName = "ScalingReportRejected")]
        public static partial void ReportRejected(ILogger logger, string coordinator, string key, string problem);

        [LoggerMessage(1511, LogLevel.Information, "Scaling coordination '{Coordinator}': deregistered instance {Instance}.", EventName = "ScalingInstanceDeregistered")]
        public static partial void Deregistered(ILogger logger, string coordinator, string instance);
    }
}

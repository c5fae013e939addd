namespace Loadstone.Scaling.Etcd;

/// <summary>
/// Where and how the copies of a scaling group coordinate in etcd (<see cref="EtcdScalingCoordinator"/>). Every key the
/// group uses lives under <see cref="Prefix"/>: <c>election/</c> (one candidate key per copy, under its lease),
/// <c>state/</c> (the committed state), <c>load/</c> (each client's load report, under its lease) and <c>instances/</c>
/// (the instances' own registrations, which every client's pool reads).
/// </summary>
public sealed class EtcdScalingOptions
{
    /// <summary>The default <see cref="LeaseTtl"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="ReportInterval"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultReportInterval = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="RequestTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="RetryDelay"/>: 500 milliseconds.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The default <see cref="MaxRetryDelay"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The etcd cluster's client URLs, e.g. <c>http://10.0.0.10:2379</c>; after a failure the next one is tried. At least one is required.</summary>
    public IList<string> Endpoints { get; } = [];

    /// <summary>The group's key prefix, the same for every copy, e.g. <c>/loadstone/scaling/catalog/</c> (end it with <c>/</c>). Required.</summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// The time to live of each copy's lease: a leader that dies or is cut off is replaced within it (plus about a
    /// second), and a cut-off leader stops acting before it runs out. Keep-alives go every third of it. The default is
    /// 10 s; the range is 2 s to 1 h, in whole seconds.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = DefaultLeaseTtl;

    /// <summary>
    /// How often each client publishes its pool's load for the leader to add up. The default is 5 s; the range is
    /// 100 ms to 5 min. The leader samples the fleet's sum on its reconcile ticks, so reports much rarer than the
    /// policies' periods make the metric coarse.
    /// </summary>
    public TimeSpan ReportInterval { get; set; } = DefaultReportInterval;

    /// <summary>How long one etcd request may take. The default is 5 s; the range is 100 ms to 5 min.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>After a failure, the next try comes after this delay, doubled each time up to <see cref="MaxRetryDelay"/>. The default is 500 ms; the range is 10 ms to 1 h.</summary>
    public TimeSpan RetryDelay { get; set; } = DefaultRetryDelay;

    /// <summary>The longest delay between tries. The default is 5 s; the range is <see cref="RetryDelay"/> to 1 h.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = DefaultMaxRetryDelay;

    /// <summary>
    /// This client's name in the fleet (its load report's key, its candidate key's value). The default,
    /// <see langword="null"/>, is <c>{machine}-{process id}</c>. Letters, digits, <c>-</c>, <c>_</c> and <c>.</c> only.
    /// </summary>
    public string? ClientId { get; set; }

    internal EtcdScalingOptions Clone()
    {
        var copy = new EtcdScalingOptions
        {
            Prefix = Prefix,
            LeaseTtl = LeaseTtl,
            ReportInterval = ReportInterval,
            RequestTimeout = RequestTimeout,
            RetryDelay = RetryDelay,
            MaxRetryDelay = MaxRetryDelay,
            ClientId = ClientId,
        };
        foreach (var endpoint in Endpoints)
        {
            copy.Endpoints.Add(endpoint);
        }

        return copy;
    }

    internal List<string> Problems(string group)
    {
        var problems = new Loadstone.Etcd.EtcdSettingsProblems($"Scaling group '{group}': etcd coordination", null);
        problems.Common(Endpoints, Prefix, "the group's key prefix, e.g. /loadstone/scaling/catalog/", RequestTimeout, RetryDelay, MaxRetryDelay);
        problems.LeaseTtl(LeaseTtl);
        problems.Range(nameof(ReportInterval), ReportInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        if (ClientId is { } id && (id.Length == 0 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            problems.Add(nameof(ClientId), $"is '{id}'; use letters, digits, '-', '_' and '.' only.");
        }

        return problems.List;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Loadstone.Tests.Retries;

/// <summary>The options of requeues, hedging and the new outlier-detection settings: defaults, binding, validation.</summary>
public sealed class FailureHandlingOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new LoadBalancingOptions();
        var (requeues, hedging, passive) = (options.Requeues, options.Hedging, options.HealthChecks.Passive);

        Assert.Equal((true, 5, 20, 10), (requeues.Enabled, requeues.MaxRequeueAttempts, requeues.BudgetPercent, requeues.MinRequeuesPerSecond));
        Assert.Equal((false, (TimeSpan?)null, 5), (hedging.Enabled, hedging.Delay, hedging.MaxExtraLoadPercent));
        Assert.Equal((false, 100, 5, 1.9, 100, 5, TimeSpan.FromSeconds(30)),
            (passive.SplitLocalFailures, passive.EnforcingPercent, passive.FailureRateMinimumHosts, passive.SuccessRateStdevFactor,
                passive.SuccessRateMinimumRequests, passive.SuccessRateMinimumHosts, passive.MaxRetryAfter));
    }

    [Fact]
    public void Configuration_EveryNewSetting_Binds()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:Requeues:Enabled"] = "false",
            ["LoadBalancing:Services:catalog:Requeues:MaxRequeueAttempts"] = "3",
            ["LoadBalancing:Services:catalog:Requeues:BudgetPercent"] = "50",
            ["LoadBalancing:Services:catalog:Requeues:MinRequeuesPerSecond"] = "20",
            ["LoadBalancing:Services:catalog:Hedging:Enabled"] = "true",
            ["LoadBalancing:Services:catalog:Hedging:Delay"] = "00:00:00.050",
            ["LoadBalancing:Services:catalog:Hedging:MaxExtraLoadPercent"] = "2",
            ["LoadBalancing:Services:catalog:HealthChecks:Passive:SplitLocalFailures"] = "true",
            ["LoadBalancing:Services:catalog:HealthChecks:Passive:EnforcingPercent"] = "0",
            ["LoadBalancing:Services:catalog:HealthChecks:Passive:FailureRateMinimumHosts"] = "3",
            ["LoadBalancing:Services:catalog:HealthChecks:Passive:SuccessRateStdevFactor"] = "0",
            ["LoadBalancing:Services:catalog:HealthChecks:Passive:SuccessRateMinimumRequests"] = "200",
            ["LoadBalancing:Services:catalog:HealthChecks:Passive:SuccessRateMinimumHosts"] = "10",
            ["LoadBalancing:Services:catalog:HealthChecks:Passive:MaxRetryAfter"] = "00:01:00",
        }).Build();
        var options = new LoadBalancingOptions();

        LoadBalancingConfiguration.Apply(configuration.GetSection("LoadBalancing:Services:catalog"), options);

        Assert.Empty(options.ConfigurationProblems);
        Assert.Equal((false, 3, 50, 20), (options.Requeues.Enabled, options.Requeues.MaxRequeueAttempts, options.Requeues.BudgetPercent, options.Requeues.MinRequeuesPerSecond));
        Assert.Equal((true, (TimeSpan?)TimeSpan.FromMilliseconds(50), 2), (options.Hedging.Enabled, options.Hedging.Delay, options.Hedging.MaxExtraLoadPercent));
        var p = options.HealthChecks.Passive;
        Assert.Equal((true, 0, 3, 0d, 200, 10, TimeSpan.FromMinutes(1)),
            (p.SplitLocalFailures, p.EnforcingPercent, p.FailureRateMinimumHosts, p.SuccessRateStdevFactor, p.SuccessRateMinimumRequests, p.SuccessRateMinimumHosts, p.MaxRetryAfter));
    }

    [Fact]
    public void Validate_OutOfRange_EveryProblemNamedWithItsKey()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add("http://127.0.0.1:1");
        options.Requeues.MaxRequeueAttempts = 26;
        options.Hedging.Delay = TimeSpan.Zero;
        options.Hedging.MaxExtraLoadPercent = 51;
        options.HealthChecks.Passive.EnforcingPercent = 101;
        options.HealthChecks.Passive.SuccessRateStdevFactor = 0.05;
        options.HealthChecks.Passive.MaxRetryAfter = TimeSpan.FromHours(2);

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal(
        [
            "Service 'catalog': HealthChecks:Passive:SuccessRateStdevFactor (LoadBalancing:Services:catalog:HealthChecks:Passive:SuccessRateStdevFactor) is 0.05; it must be between 0.1 and 10 (or 0 for off).",
            "Service 'catalog': HealthChecks:Passive:EnforcingPercent (LoadBalancing:Services:catalog:HealthChecks:Passive:EnforcingPercent) is 101; it must be between 0 and 100.",
            "Service 'catalog': HealthChecks:Passive:MaxRetryAfter (LoadBalancing:Services:catalog:HealthChecks:Passive:MaxRetryAfter) is 02:00:00; it must be between 00:00:00 and 01:00:00.",
            "Service 'catalog': Requeues:MaxRequeueAttempts (LoadBalancing:Services:catalog:Requeues:MaxRequeueAttempts) is 26; it must be between 1 and 25.",
            "Service 'catalog': Hedging:Delay (LoadBalancing:Services:catalog:Hedging:Delay) is 00:00:00; it must be between 00:00:00.0010000 and 00:01:00.",
            "Service 'catalog': Hedging:MaxExtraLoadPercent (LoadBalancing:Services:catalog:Hedging:MaxExtraLoadPercent) is 51; it must be between 1 and 50.",
        ], ex.Failures);
    }
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Loadstone.Scaling.Tests;

/// <summary>The group's instruments come from the container's <see cref="IMeterFactory"/>, one set per container.</summary>
public sealed class ScalingMetricsTests
{
    private static ServiceProvider Container(int size)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(TestClock.Create());
        services.AddScalingGroup("catalog", o =>
        {
            o.Group.MinSize = size;
            o.Group.MaxSize = 10;
        }).UseLauncher(_ => new InMemoryInstanceLauncher());
        return services.BuildServiceProvider();
    }

    private static MetricCollector<T> Collector<T>(IServiceProvider services, string instrument)
        where T : struct =>
        new(services.GetRequiredService<IMeterFactory>(), LoadstoneMetrics.MeterName, instrument);

    private static Dictionary<string, int> Capacity(MetricCollector<int> collector)
    {
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags["loadstone.scaling.group"], "catalog"))
            .ToDictionary(m => (string)m.Tags["loadstone.scaling.capacity.kind"]!, m => m.Value);
    }

    [Fact]
    public async Task TwoContainers_SameGroupName_EachSeesOnlyItsOwnGroup()
    {
        await using var first = Container(2);
        await using var second = Container(5);
        using var firstCapacity = Collector<int>(first, "loadstone.scaling.capacity");
        using var secondCapacity = Collector<int>(second, "loadstone.scaling.capacity");
        using var firstActivities = Collector<long>(first, "loadstone.scaling.activities");

        first.GetRequiredKeyedService<ScalingGroup>("catalog").Start();
        second.GetRequiredKeyedService<ScalingGroup>("catalog").Start();

        Assert.Equal(new Dictionary<string, int> { ["min"] = 2, ["max"] = 10, ["desired"] = 2 }, Capacity(firstCapacity));
        Assert.Equal(new Dictionary<string, int> { ["min"] = 5, ["max"] = 10, ["desired"] = 5 }, Capacity(secondCapacity));
        var launches = firstActivities.GetMeasurementSnapshot();
        Assert.Equal(2, launches.Count);
        Assert.All(launches, m =>
        {
            Assert.Equal(1, m.Value);
            Assert.Equal("Launch", m.Tags["loadstone.scaling.activity.kind"]);
            Assert.Equal("Successful", m.Tags["loadstone.scaling.activity.status"]);
        });
    }

    [Fact]
    public async Task Instances_ByState_AndGoneOnceTheGroupIsDisposed()
    {
        await using var services = Container(3);
        using var instances = Collector<int>(services, "loadstone.scaling.instances");
        var group = services.GetRequiredKeyedService<ScalingGroup>("catalog");
        group.Start();

        instances.RecordObservableInstruments();
        var inService = Assert.Single(instances.GetMeasurementSnapshot());
        Assert.Equal(3, inService.Value);
        Assert.Equal("InService", inService.Tags["loadstone.scaling.instance.state"]);

        await group.DisposeAsync();
        instances.Clear();
        instances.RecordObservableInstruments();
        Assert.Empty(instances.GetMeasurementSnapshot());
    }

    [Fact]
    public void For_SameFactory_SameInstruments_NoFactory_TheProcessMeter()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        Assert.Same(ScalingMetrics.For(factory), ScalingMetrics.For(factory));
        Assert.Same(ScalingMetrics.For(null), ScalingMetrics.For(null));
        Assert.NotSame(ScalingMetrics.For(factory), ScalingMetrics.For(null));
    }
}

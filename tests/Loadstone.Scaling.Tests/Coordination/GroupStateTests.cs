using System.Text;

namespace Loadstone.Scaling.Tests;

public sealed class GroupStateTests
{
    [Fact]
    public async Task Capture_ThenRestoreIntoAnotherCopy_GivesTheSameInstancesCapacityAndActivities()
    {
        var store = new SharedStateStore();
        var time = TestClock.Create();
        var launcher = new InMemoryInstanceLauncher();
        var coordinators = new Dictionary<string, TestCoordinator>();
        ScalingGroup Copy(string name) => new("web", new ScalingGroupOptions { MinSize = 2, MaxSize = 5, AvailabilityZones = { "a", "b" } }, launcher,
            new ScalingGroupDependencies { TimeProvider = time, Coordinator = coordinators[name] = store.NewCopy(name) });
        await using var first = Copy("first");
        await using var second = Copy("second");
        first.Start();
        second.Start();
        store.Elect(coordinators["first"]);
        await Eventually.TrueAsync(() => first.Instances.Count(i => i.State == ScalingInstanceState.InService) == 2, "2 in service");
        first.SetInstanceProtection(first.Instances[0].Id, true);
        first.SuspendProcesses(ScalingProcesses.AZRebalance);
        await Eventually.TrueAsync(() => second.SuspendedProcesses == ScalingProcesses.AZRebalance && second.Instances.Any(i => i.IsProtectedFromScaleIn), "the view to follow");

        Assert.Equal(first.Instances.Select(Describe), second.Instances.Select(Describe));
        Assert.Equal(first.Activities.Select(a => a.ToString()), second.Activities.Select(a => a.ToString()));
        Assert.Equal((first.MinSize, first.MaxSize, first.DesiredCapacity), (second.MinSize, second.MaxSize, second.DesiredCapacity));
        var group = store.Read(GroupDocument.Key)!;
        Assert.Contains("\"State\":\"InService\"", group, StringComparison.Ordinal);
        Assert.Contains("\"Zone\":\"a\"", group, StringComparison.Ordinal);

        static string Describe(ScalingInstance i) =>
            new StringBuilder().Append(i.Id).Append(' ').Append(i.State).Append(' ').Append(i.Zone).Append(' ').Append(i.Endpoint)
                .Append(' ').Append(i.InServiceAt).Append(' ').Append(i.IsProtectedFromScaleIn).ToString();
    }
}

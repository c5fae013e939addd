using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Scaling.Tests;

/// <summary>
/// Copies of one group share a controller through a coordinator: only the leader acts, every decision is committed
/// before it is carried out, and a new leader resumes from the committed state (instances adopted, launches under way
/// looked for, hooks, cooldown and activities continuous). The coordinator here keeps the state in memory.
/// </summary>
public sealed class CoordinatedGroupTests : IAsyncDisposable
{
    private readonly SharedStateStore _store = new();
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly List<ScalingGroup> _groups = [];

    private InMemoryInstanceLauncher Launcher { get; } = new();

    public async ValueTask DisposeAsync()
    {
        foreach (var group in _groups)
        {
            await group.DisposeAsync();
        }
    }

    private (ScalingGroup Group, TestCoordinator Coordinator) Copy(string name, Action<ScalingGroupOptions>? configure = null, IDurableInstanceLauncher? launcher = null)
    {
        var options = new ScalingGroupOptions { MinSize = 2, MaxSize = 10 };
        configure?.Invoke(options);
        var coordinator = _store.NewCopy(name);
        var group = new ScalingGroup("web", options, launcher ?? Launcher, new ScalingGroupDependencies
        {
            TimeProvider = _time,
            Random = new Random(7),
            Coordinator = coordinator,
        });
        _groups.Add(group);
        group.Start();
        return (group, coordinator);
    }

    private static int InService(ScalingGroup group) => group.Instances.Count(i => i.State == ScalingInstanceState.InService);

    [Fact]
    public async Task TwoCopies_OnlyTheLeaderLaunches_AndTheOtherShowsTheCommittedState()
    {
        var (a, ca) = Copy("a");
        var (b, _) = Copy("b");
        _store.Elect(ca);

        await Eventually.TrueAsync(() => InService(a) == 2 && InService(b) == 2, "both copies to show 2 instances in service");

        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);
        Assert.Equal(2, Launcher.LaunchCount);
        Assert.Equal(a.Instances.Select(i => i.Id), b.Instances.Select(i => i.Id));
        Assert.Equal(a.Activities.Select(x => (x.Id, x.Status)), b.Activities.Select(x => (x.Id, x.Status)));
        var refused = Assert.Throws<InvalidOperationException>(() => b.SetDesiredCapacity(3));
        Assert.Contains("Scaling group 'web' is led by another copy: this one (test:b) shows the group's state but cannot change it.", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, a.DesiredCapacity);
    }

    [Fact]
    public async Task Failover_NewLeaderAdoptsTheInstances_AndDesiredCapacityAndActivitiesContinue()
    {
        var (a, ca) = Copy("a");
        var (b, cb) = Copy("b");
        _store.Elect(ca);
        await Eventually.TrueAsync(() => InService(a) == 2, "a to launch 2");
        a.SetDesiredCapacity(3);
        await Eventually.TrueAsync(() => InService(b) == 3, "b to see 3 in service");
        var before = b.Activities.Select(x => (x.Id, x.Description, x.Status)).ToList();
        var instances = b.Instances.Select(i => i.Id).ToList();

        _store.Elect(cb); // a is deposed; b takes over
        await Eventually.TrueAsync(() => b.IsLeader && !a.IsLeader, "b to lead");
        _time.AdvanceInSteps(TimeSpan.FromSeconds(5));

        Assert.Equal(3, b.DesiredCapacity);
        Assert.Equal(instances, b.Instances.Select(i => i.Id));
        Assert.Equal(3, Launcher.LaunchCount); // adopted, not launched again
        Assert.Equal(before, b.Activities.Take(before.Count).Select(x => (x.Id, x.Description, x.Status)));

        b.SetDesiredCapacity(4);
        await Eventually.TrueAsync(() => InService(b) == 4, "b to launch a fourth");
        Assert.Equal("web-4", b.Instances[^1].Id); // the instance counter continues
        Assert.Equal(4, Launcher.LaunchCount);
        Assert.True(b.Activities[^1].Id > before[^1].Id);
        Assert.Equal(1, Launcher.LaunchesOf("web-4"));
    }

    [Fact]
    public async Task Failover_WhileALaunchIsUnderWay_TheNewLeaderFindsItInsteadOfLaunchingAgain()
    {
        var gated = new GatedLauncher(Launcher);
        var (a, ca) = Copy("a", o => o.MinSize = 1, gated);
        var (b, cb) = Copy("b", o => o.MinSize = 1, gated);
        _store.Elect(ca);
        await Eventually.TrueAsync(() => b.Instances.Count == 1 && b.Instances[0].State == ScalingInstanceState.Pending, "b to see the pending launch");

        _store.Elect(cb);
        await Eventually.TrueAsync(() => b.IsLeader, "b to lead");
        gated.Release(); // the launch a started completes after a lost leadership: b adopts the instance
        await Eventually.TrueAsync(() => InService(b) == 1, "b to adopt the launched instance");

        Assert.Equal(1, Launcher.LaunchesOf("web-1"));
        Assert.Equal(1, Launcher.LaunchCount);
        Assert.Single(b.Activities, x => x.Kind == ScalingActivityKind.Launch && x.Status == ScalingActivityStatus.Successful);
    }

    [Fact]
    public async Task Failover_LaunchDecidedButNeverStarted_IsRecordedFailedAndLaunchedAgainUnderANewId()
    {
        var gated = new GatedLauncher(Launcher) { DropLaunches = true }; // a dies between the commit and the launch
        var (_, ca) = Copy("a", o => o.MinSize = 1, gated);
        var (b, cb) = Copy("b", o => o.MinSize = 1, Launcher);
        _store.Elect(ca);
        await Eventually.TrueAsync(() => b.Instances.Count == 1, "b to see the decided launch");

        _store.Elect(cb);
        await Eventually.TrueAsync(() => b.Activities.Any(x => x.Status == ScalingActivityStatus.Failed), "b to record the launch as failed");
        _time.AdvanceInSteps(TimeSpan.FromSeconds(11)); // past LaunchRetryDelay (10 s)
        await Eventually.TrueAsync(() => InService(b) == 1, "b to launch again");

        var failed = Assert.Single(b.Activities, x => x.Status == ScalingActivityStatus.Failed);
        Assert.Contains("previous leader started did not come up", failed.StatusMessage, StringComparison.Ordinal);
        Assert.Equal(0, Launcher.LaunchesOf("web-1"));
        Assert.Equal("web-2", b.Instances.Single().Id);
        Assert.Equal(1, Launcher.LaunchesOf("web-2"));
    }

    [Fact]
    public async Task Failover_DuringALaunchHook_TheWaitContinuesWithItsDeadline_AndTheEventIsRaisedAgain()
    {
        static void Hooked(ScalingGroupOptions o)
        {
            o.MinSize = 1;
            o.LifecycleHooks.Add(new LifecycleHook
            {
                Name = "boot",
                Transition = LifecycleTransition.Launching,
                HeartbeatTimeout = TimeSpan.FromSeconds(60),
                DefaultResult = LifecycleActionResult.Continue,
            });
        }

        var (a, ca) = Copy("a", Hooked);
        var (b, cb) = Copy("b", Hooked);
        var raisedOnB = 0;
        b.LifecycleActionRequired += (_, _) => Interlocked.Increment(ref raisedOnB);
        _store.Elect(ca);
        await Eventually.TrueAsync(() => b.Instances is [{ State: ScalingInstanceState.PendingWait }], "the instance to wait on its hook");
        _time.AdvanceInSteps(TimeSpan.FromSeconds(30));

        _store.Elect(cb);
        await Eventually.TrueAsync(() => b.IsLeader && Volatile.Read(ref raisedOnB) == 1, "b to lead and raise the hook again");
        _time.AdvanceInSteps(TimeSpan.FromSeconds(29));
        Assert.Equal(ScalingInstanceState.PendingWait, b.Instances.Single().State);
        _time.AdvanceInSteps(TimeSpan.FromSeconds(2)); // 61 s after the launch: the timeout counted from a's start

        await Eventually.TrueAsync(() => InService(b) == 1, "the hook to time out with CONTINUE");
        Assert.Equal(1, Launcher.LaunchCount);
        Assert.False(a.IsLeader);
    }

    [Fact]
    public async Task Failover_SimpleScalingCooldown_IsHonouredByTheNewLeader()
    {
        static void WithPolicy(ScalingGroupOptions o) =>
            o.Policies.Add(new SimpleScalingPolicy { Name = "up", ScalingAdjustment = 1, Cooldown = TimeSpan.FromSeconds(300) });

        var (a, ca) = Copy("a", WithPolicy);
        var (b, cb) = Copy("b", WithPolicy);
        _store.Elect(ca);
        await Eventually.TrueAsync(() => InService(a) == 2, "a to launch 2");
        Assert.True(a.ExecutePolicy("up").Executed);
        await Eventually.TrueAsync(() => InService(a) == 3, "a to scale out");
        _time.AdvanceInSteps(TimeSpan.FromSeconds(2)); // the cooldown starts once the activity is over
        await Eventually.TrueAsync(() => _store.Read(GroupDocument.Key)?.Contains("\"CooldownUntil\":\"2026-01-01T00:0", StringComparison.Ordinal) == true
            && !_store.Read(GroupDocument.Key)!.Contains("CooldownPending", StringComparison.Ordinal), "the cooldown to be committed");

        _store.Elect(cb);
        await Eventually.TrueAsync(() => b.IsLeader, "b to lead");
        var refused = b.ExecutePolicy("up");
        Assert.False(refused.Executed);
        Assert.Contains("cooldown runs until", refused.Reason, StringComparison.Ordinal);

        _time.AdvanceInSteps(TimeSpan.FromSeconds(300));
        Assert.True(b.ExecutePolicy("up").Executed);
    }

    [Fact]
    public async Task DeposedLeaderThatStillBelievesItLeads_CannotCommit_AndCarriesNothingOut()
    {
        var (a, ca) = Copy("a");
        var (b, cb) = Copy("b");
        _store.Elect(ca);
        await Eventually.TrueAsync(() => InService(b) == 2, "b to see 2 in service");

        _store.Elect(cb, tellOldLeader: false); // a has not noticed (a partition): only fencing stops it
        await Eventually.TrueAsync(() => b.IsLeader, "b to lead");
        a.SetDesiredCapacity(6);
        await Eventually.TrueAsync(() => _store.Refusals > 0, "a's commit to be refused");
        _time.AdvanceInSteps(TimeSpan.FromSeconds(3));

        Assert.Equal(2, Launcher.LaunchCount); // a launched nothing for its refused decision
        Assert.Equal(2, b.DesiredCapacity);
        Assert.DoesNotContain("\"DesiredCapacity\":6", _store.Read(GroupDocument.Key), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstanceRefresh_StartedByOneLeader_IsCompletedByTheNext()
    {
        // Each launch boots for 30 s (a launch hook that times out with CONTINUE), so the refresh takes time.
        static void Booting(ScalingGroupOptions o)
        {
            o.MinSize = 3;
            o.LifecycleHooks.Add(new LifecycleHook
            {
                Name = "boot",
                Transition = LifecycleTransition.Launching,
                HeartbeatTimeout = TimeSpan.FromSeconds(30),
                DefaultResult = LifecycleActionResult.Continue,
            });
        }

        var (a, ca) = Copy("a", Booting);
        var (b, cb) = Copy("b", Booting);
        _store.Elect(ca);
        await Eventually.TrueAsync(() => a.Instances.Count == 3, "a to launch 3");
        _time.AdvanceInSteps(TimeSpan.FromSeconds(31));
        // The group acts on a pump of its own: a launch whose hook it registered after that advance started its 30 s
        // then, so the clock moves on (a second at a time) until all three have booted.
        await Eventually.TrueAsync(() =>
        {
            if (InService(a) == 3)
            {
                return true;
            }

            _time.Advance(TimeSpan.FromSeconds(1));
            return false;
        }, "the 3 to boot");
        Launcher.LaunchTemplateVersion = 2;
        a.StartInstanceRefresh(minHealthyPercentage: 66);
        await Eventually.TrueAsync(() => b.InstanceRefresh is { State: InstanceRefreshState.InProgress }, "b to see the refresh");

        _store.Elect(cb);
        await Eventually.TrueAsync(() => b.IsLeader, "b to lead");
        for (var i = 0; i < 200 && b.InstanceRefresh?.State != InstanceRefreshState.Successful; i++)
        {
            _time.AdvanceInSteps(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        Assert.Equal(InstanceRefreshState.Successful, b.InstanceRefresh!.State);
        Assert.All(b.Instances, i => Assert.Equal(2, i.LaunchTemplateVersion));
        Assert.Equal(3, b.Instances.Count);
    }

    [Fact]
    public async Task Dispose_CoordinatedCopy_LeavesTheInstancesRunningAndGivesLeadershipUp()
    {
        var (a, ca) = Copy("a");
        _store.Elect(ca);
        await Eventually.TrueAsync(() => InService(a) == 2, "a to launch 2");

        await a.DisposeAsync();

        Assert.Equal(2, Launcher.Running.Count);
        Assert.Equal(0, Launcher.StopCount);
        Assert.True(ca.Stopped);
        Assert.Null(_store.Leader);
    }

    [Fact]
    public void Constructor_CoordinatorWithALauncherWhoseInstancesDieWithTheProcess_Throws()
    {
        using var launcher = new ProcessInstanceLauncher(new ProcessLauncherOptions { FileName = "true" });
        var error = Assert.Throws<ArgumentException>(() => new ScalingGroup("web", new ScalingGroupOptions(), launcher,
            new ScalingGroupDependencies { Coordinator = _store.NewCopy("x") }));
        Assert.Contains("is not an IDurableInstanceLauncher", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Holds launches until released, or drops them (a leader that died between its commit and the launch).</summary>
    private sealed class GatedLauncher(InMemoryInstanceLauncher inner) : IDurableInstanceLauncher
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool DropLaunches { get; init; }

        public int LaunchTemplateVersion => inner.LaunchTemplateVersion;

        public void Release() => _gate.TrySetResult();

        public async ValueTask<LaunchedInstance> LaunchAsync(string instanceId, string? zone, CancellationToken cancellationToken)
        {
            if (DropLaunches)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            await _gate.Task;
            return await inner.LaunchAsync(instanceId, zone, cancellationToken);
        }

        public ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken) => inner.LaunchAsync(zone, cancellationToken);

        public async ValueTask<LaunchedInstance?> ResumeLaunchAsync(string instanceId, string? zone, DateTimeOffset launchStartedAt, CancellationToken cancellationToken)
        {
            // Like a real launcher, waits for the instance to come up (the launch a previous leader started finishes on its own).
            await _gate.Task.WaitAsync(cancellationToken);
            for (var i = 0; i < 200; i++)
            {
                if (await inner.ResumeLaunchAsync(instanceId, zone, launchStartedAt, cancellationToken) is { } found)
                {
                    return found;
                }

                await Task.Delay(10, cancellationToken);
            }

            return null;
        }

        public LaunchedInstance Reattach(LaunchedInstance recorded) => inner.Reattach(recorded);

        public ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken) => inner.StopAsync(instance, cancellationToken);

        public InstanceStatus GetStatus(LaunchedInstance instance) => inner.GetStatus(instance);
    }
}

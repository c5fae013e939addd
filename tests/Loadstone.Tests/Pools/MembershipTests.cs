namespace Loadstone.Tests.Pools;

/// <summary>Membership alone: who is a member, who drains and for how long, which state survives an update.</summary>
public sealed class MembershipTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(300);

    private static LoadBalancedEndpoint E(int i, int weight = 1, string? zone = null) => new($"http://10.0.0.{i}:8080", zone, weight);

    private static EndpointState Create(LoadBalancedEndpoint endpoint, bool anyRoutable) =>
        new(endpoint, TimeProvider.System, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(30)) { SkipsFirstSlowStart = !anyRoutable };

    [Fact]
    public void Update_FirstDuplicateIdWins_MembersInTheGivenOrder()
    {
        var membership = new Membership();

        var members = membership.Update([E(2), E(1), E(2, weight: 5)], Now, Delay, Create);

        Assert.Equal(["http://10.0.0.2:8080", "http://10.0.0.1:8080"], members.Select(s => s.Endpoint.Id));
        Assert.Equal(1, members[0].Endpoint.Weight);
        Assert.Equal(2, membership.MemberCount);
    }

    [Fact]
    public void Update_EndpointStays_KeepsItsStateAndTakesTheNewWeightAndZone()
    {
        var membership = new Membership();
        var first = membership.Update([E(1)], Now, Delay, Create)[0];

        var second = membership.Update([E(1, weight: 7, zone: "b")], Now, Delay, Create)[0];

        Assert.Same(first, second);
        Assert.Equal((7, "b"), (second.Endpoint.Weight, second.Endpoint.Zone));
    }

    [Fact]
    public void Update_NewEndpointWhileNoneRoutable_SkipsItsFirstSlowStart()
    {
        var membership = new Membership();
        var early = membership.Update([E(1)], Now, Delay, Create)[0];
        early.Health = EndpointHealth.Healthy;

        var members = membership.Update([E(1), E(2)], Now, Delay, Create);

        Assert.True(early.SkipsFirstSlowStart); // created when nothing was routable
        Assert.False(members[1].SkipsFirstSlowStart); // created while E(1) was
    }

    [Fact]
    public void Update_LeavesWithRequestsInFlight_DrainsUntilTheDeadline()
    {
        var membership = new Membership();
        var leaving = membership.Update([E(1), E(2)], Now, Delay, Create)[1];
        leaving.OnStart();
        leaving.SlowStartSince = Now;
        leaving.WeightFactor = 0.3;

        var members = membership.Update([E(1)], Now, Delay, Create);

        Assert.Single(members);
        Assert.Equal([leaving], membership.Draining);
        Assert.Equal((EndpointHealth.Draining, EndpointHealthReason.DeregistrationInProgress), (leaving.Health, leaving.HealthReason));
        Assert.Equal((Now + Delay, null, 1d), (leaving.DrainDeadline, leaving.SlowStartSince, leaving.WeightFactor));
        Assert.True(membership.Contains(leaving.Endpoint.Id));
        Assert.False(membership.IsMember(leaving));
        Assert.Empty(membership.ProgressDraining(Now + Delay - TimeSpan.FromTicks(1)));

        var dropped = membership.ProgressDraining(Now + Delay);

        Assert.Equal([(leaving, 1)], dropped);
        Assert.False(membership.Contains(leaving.Endpoint.Id));
        Assert.Equal((EndpointHealth.Unused, EndpointHealthReason.NotRegistered), (leaving.Health, leaving.HealthReason));
    }

    [Fact]
    public void ProgressDraining_LastRequestEnds_DroppedBeforeTheDeadline()
    {
        var membership = new Membership();
        var leaving = membership.Update([E(1), E(2)], Now, Delay, Create)[1];
        leaving.OnStart();
        membership.Update([E(1)], Now, Delay, Create);

        leaving.OnComplete(0, 0, RequestOutcome.Success);

        Assert.Equal([(leaving, 0)], membership.ProgressDraining(Now + TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(0, 300)] // idle
    [InlineData(2, 0)] // no deregistration delay
    public void Update_LeavesIdleOrWithoutDelay_GoneAtOnce(int inFlight, int delaySeconds)
    {
        var membership = new Membership();
        var leaving = membership.Update([E(1), E(2)], Now, Delay, Create)[1];
        for (var i = 0; i < inFlight; i++)
        {
            leaving.OnStart();
        }

        membership.Update([E(1)], Now, TimeSpan.FromSeconds(delaySeconds), Create);

        Assert.Empty(membership.Draining);
        Assert.False(membership.Contains(leaving.Endpoint.Id));
        Assert.Equal(EndpointHealth.Unused, leaving.Health);
    }

    [Fact]
    public void Update_DrainingEndpointComesBack_MemberAgainWithItsState()
    {
        var membership = new Membership();
        var state = membership.Update([E(1), E(2)], Now, Delay, Create)[1];
        state.OnStart();
        membership.Update([E(1)], Now, Delay, Create);

        var members = membership.Update([E(1), E(2)], Now, Delay, Create);

        Assert.Same(state, members[1]);
        Assert.Null(state.DrainDeadline);
        Assert.Empty(membership.Draining);
        Assert.True(membership.IsMember(state));
    }

    [Fact]
    public void IsMember_StateReplacedAfterLeavingAndReturning_OldStateIsNot()
    {
        var membership = new Membership();
        var old = membership.Update([E(1), E(2)], Now, Delay, Create)[1];
        membership.Update([E(1)], Now, Delay, Create); // idle: gone at once

        var fresh = membership.Update([E(1), E(2)], Now, Delay, Create)[1];

        Assert.NotSame(old, fresh);
        Assert.False(membership.IsMember(old));
        Assert.True(membership.IsMember(fresh));
    }
}

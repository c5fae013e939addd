namespace Loadstone.Scaling.Tests;

public sealed class EndpointPublisherTests
{
    [Fact]
    public async Task Publish_InServiceOnly_OnceOutsideTheLockThenTheCallback()
    {
        var parts = new GroupParts();
        var callbacks = 0;
        var publisher = new EndpointPublisher("web", parts.Runner, () => callbacks++);
        var serving = parts.AddInService();
        parts.AddInService().State = ScalingInstanceState.Terminating;
        var changes = 0;
        using var subscription = publisher.Source.GetChangeToken().RegisterChangeCallback(_ => changes++, null);

        parts.Run(_ =>
        {
            publisher.Publish(parts.Context.Instances);
            Assert.Empty(publisher.Source.Current); // deferred: pools take their own lock to apply it
        });
        parts.Run(_ => publisher.Publish(parts.Context.Instances)); // unchanged: nothing new

        Assert.Equal([serving.Endpoint!], await publisher.Source.GetEndpointsAsync(CancellationToken.None));
        Assert.Equal(1, changes);
        Assert.Equal(1, callbacks);
        Assert.Equal("scaling-group:web", publisher.Source.Name);
        Assert.True(publisher.Source.AllowsEmpty);
    }
}

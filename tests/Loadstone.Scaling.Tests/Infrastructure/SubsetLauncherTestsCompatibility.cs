using Loadstone.Scaling;
using Microsoft.Extensions.Time.Testing;

// SubsetInstanceLauncherTests moved into this project unchanged. These two shims keep it compiling on what it uses
// from before: the old clock's name, and ScalingGroupOptions.DeregistrationDelay, which the group no longer has (the
// attached pool drains). Delete this file once that test class uses TestClock and leaves the delay out.

namespace Loadstone.Tests
{
    /// <summary>The tests' former clock, by name: a <see cref="FakeTimeProvider"/> starting at <see cref="global::Loadstone.Scaling.Tests.TestClock.Start"/>.</summary>
    internal sealed class ManualTimeProvider : FakeTimeProvider
    {
        public ManualTimeProvider() => SetUtcNow(global::Loadstone.Scaling.Tests.TestClock.Start);
    }

    internal static class ScalingGroupOptionsCompatibility
    {
        extension(ScalingGroupOptions options)
        {
            /// <summary>
            /// The group's former deregistration delay. Only zero is accepted: it is what a group without an attached pool
            /// does (a terminating instance is stopped at once); with a pool, set the pool's own delay.
            /// </summary>
            public TimeSpan DeregistrationDelay
            {
                get => TimeSpan.Zero;
                set
                {
                    if (value != TimeSpan.Zero)
                    {
                        throw new NotSupportedException("A scaling group has no deregistration delay of its own; set LoadBalancingOptions.DeregistrationDelay of the attached pool.");
                    }
                }
            }
        }
    }
}

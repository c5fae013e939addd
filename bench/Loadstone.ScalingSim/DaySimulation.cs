using Loadstone.Scaling;
using Loadstone.Tests;

namespace Loadstone.ScalingSim;

/// <summary>What one run measured: per-minute rows and the totals.</summary>
internal sealed record RunResult(
    string Name,
    IReadOnlyList<MinuteRow> Minutes,
    double[] PerInstanceBySecond,
    int CapacityChanges,
    int Launches,
    int Terminations,
    double InstanceHours,
    int PeakInstances,
    long Requests,
    long FailedRequests);

/// <summary>One simulated minute, averaged over its seconds.</summary>
internal sealed record MinuteRow(
    int Minute,
    double ExpectedInFlight,
    double InFlight,
    double Desired,
    double InService,
    double Instances,
    double PerInstance);

/// <summary>
/// Drives a real <see cref="ScalingGroup"/> (in-memory launcher) and a real <see cref="ServicePool"/> fed by the
/// group's endpoint source through a simulated day in virtual time. Every 100 ms of virtual time: the clock moves
/// (firing the group's reconcile timer and the pool's housekeeping), leases whose service time is over are completed,
/// and the tick's Poisson arrivals each acquire a lease from the pool with a lognormal service time (mean 1 s).
/// Everything runs on one thread in tick order, so a seed gives the same result every time.
/// </summary>
internal sealed class DaySimulation(LoadModel load, SimulationSettings settings)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private const double MeanServiceSeconds = 1.0;
    private const double ServiceSigma = 0.6;
    private const int BootSeconds = 60;

    /// <summary>Runs one group configuration over [start, end) seconds of the day.</summary>
    /// <param name="name">The run's name in reports.</param>
    /// <param name="configure">Sets sizes and policies.</param>
    public RunResult Run(string name, Action<ScalingGroupOptions> configure)
    {
        var day = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new ManualTimeProvider(day + TimeSpan.FromSeconds(settings.StartSecond - BootSeconds - 1));
        var options = new ScalingGroupOptions
        {
            InstanceWarmup = TimeSpan.FromSeconds(60),
        };

        // Boot time: a launch hook nobody completes, ending after its 60 s timeout with CONTINUE. The instance
        // costs instance-hours from launch, but takes traffic only once in service.
        options.LifecycleHooks.Add(new LifecycleHook
        {
            Name = "boot",
            Transition = LifecycleTransition.Launching,
            HeartbeatTimeout = TimeSpan.FromSeconds(BootSeconds),
            DefaultResult = LifecycleActionResult.Continue,
        });
        configure(options);

        options.MaxActivityHistory = 100_000;
        var launcher = new InMemoryInstanceLauncher();
        using var group = new ScalingGroup("catalog", options, launcher, new ScalingGroupDependencies
        {
            TimeProvider = time,
            Random = new Random(settings.Seed),
        });
        var counting = false;
        int capacityChanges = 0, launches = 0, terminations = 0;
        group.ActivityStarted += (_, e) =>
        {
            if (counting)
            {
                _ = e.Activity.Kind switch
                {
                    ScalingActivityKind.CapacityChange => capacityChanges++,
                    ScalingActivityKind.Launch => launches++,
                    _ => terminations++,
                };
            }
        };
        var poolOptions = new LoadBalancingOptions
        {
            Strategy = LoadBalancingStrategies.PowerOfTwoChoices,
            DeregistrationDelay = TimeSpan.FromSeconds(30), // a terminating instance drains in the pool for up to 30 s
        };
        poolOptions.Retries.Enabled = false;
        using var pool = new ServicePool("catalog", poolOptions, new ServicePoolDependencies
        {
            TimeProvider = time,
            Random = new Random(settings.Seed + 1),
            EndpointSources = [group.EndpointSource],
        });
        group.AttachPool(pool);
        group.Start();
        pool.InitializeAsync().GetAwaiter().GetResult();

        // Instances launched at start are booting: let them come into service before the day starts.
        time.Advance(TimeSpan.FromSeconds(BootSeconds + 1));
        counting = true;

        var arrivals = new Random(settings.Seed + 2); // same stream for every run: identical requests
        var serviceMu = Math.Log(MeanServiceSeconds) - (ServiceSigma * ServiceSigma / 2);
        var inFlight = new PriorityQueue<EndpointLease, long>();
        var ticksPerSecond = (int)(TimeSpan.FromSeconds(1) / Tick);
        var seconds = settings.EndSecond - settings.StartSecond;
        var perSecond = new double[seconds];
        var minutes = new List<MinuteRow>();
        double instanceSeconds = 0;
        int peak = 0;
        long requests = 0, failed = 0, tick = 0;
        var minute = new double[6];
        var minuteSamples = 0;

        for (var second = 0; second < seconds; second++)
        {
            var s = settings.StartSecond + second;
            for (var t = 0; t < ticksPerSecond; t++, tick++)
            {
                time.Advance(Tick);
                while (inFlight.TryPeek(out _, out var due) && due <= tick)
                {
                    inFlight.Dequeue().Complete(RequestOutcome.Success);
                }

                var rate = load.ExpectedInFlight(s + (t / (double)ticksPerSecond)) / MeanServiceSeconds;
                var count = LoadModel.Poisson(arrivals, rate * Tick.TotalSeconds);
                for (var i = 0; i < count; i++)
                {
                    var service = Math.Exp(serviceMu + (ServiceSigma * LoadModel.Gaussian(arrivals)));
                    var ticks = Math.Max(1, (long)Math.Round(service / Tick.TotalSeconds));
                    requests++;
                    try
                    {
                        inFlight.Enqueue(pool.Acquire(), tick + ticks);
                    }
                    catch (NoAvailableEndpointException)
                    {
                        failed++;
                    }
                }
            }

            // One sample a second, as the group samples its metric on each 1 s reconcile tick.
            var instances = group.Instances;
            var serving = 0;
            var servingInFlight = 0;
            foreach (var state in pool.Endpoints)
            {
                if (state.Health != EndpointHealth.Draining)
                {
                    serving++;
                    servingInFlight += state.ActiveRequests;
                }
            }

            var perInstance = serving == 0 ? double.NaN : servingInFlight / (double)serving;
            perSecond[second] = perInstance;
            instanceSeconds += instances.Count;
            peak = Math.Max(peak, instances.Count);
            minute[0] += load.ExpectedInFlight(s);
            minute[1] += inFlight.Count;
            minute[2] += group.DesiredCapacity;
            minute[3] += serving;
            minute[4] += instances.Count;
            minute[5] += perInstance;
            minuteSamples++;
            if (minuteSamples == 60)
            {
                minutes.Add(new MinuteRow((settings.StartSecond / 60) + minutes.Count,
                    minute[0] / 60, minute[1] / 60, minute[2] / 60, minute[3] / 60, minute[4] / 60, minute[5] / 60));
                Array.Clear(minute);
                minuteSamples = 0;
            }
        }

        while (inFlight.Count > 0)
        {
            inFlight.Dequeue().Complete(RequestOutcome.Success);
        }

        return new RunResult(
            name,
            minutes,
            perSecond,
            capacityChanges,
            launches,
            terminations,
            instanceSeconds / 3600,
            peak,
            requests,
            failed);
    }
}

/// <summary>What to simulate: the window of the day and the seed.</summary>
internal sealed record SimulationSettings(int StartSecond, int EndSecond, int Seed);

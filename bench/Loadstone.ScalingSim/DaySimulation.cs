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
/// Drives a real <see cref="ScalingGroup"/> (in-memory launcher) and real <see cref="ServicePool"/>s fed by the
/// group's endpoint source through a simulated day in virtual time: one pool per simulated client, each client with a
/// load of its own (its own noise and arrivals). Every 100 ms of virtual time: the clock moves (firing the group's
/// reconcile timer and the pools' housekeeping), leases whose service time is over are completed, and each client's
/// Poisson arrivals acquire a lease from its pool with a lognormal service time (mean 1 s). With several clients the
/// group reads the fleet's figures: every report interval each client's pool is measured (<see cref="PoolLoadMeter"/>)
/// and reported to a <see cref="FleetLoadAggregator"/>, the group's metrics source. Everything runs on one thread in
/// tick order, so a seed gives the same result every time.
/// </summary>
internal sealed class DaySimulation(IReadOnlyList<LoadModel> loads, SimulationSettings settings)
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
        var time = TestClock.Create(day + TimeSpan.FromSeconds(settings.StartSecond - BootSeconds - 1));
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
        var fleet = settings.FleetMetrics ? new FleetLoadAggregator(time) : null;
        using var group = new ScalingGroup("catalog", options, launcher, new ScalingGroupDependencies
        {
            TimeProvider = time,
            Random = new Random(settings.Seed),
            MetricsSource = fleet,
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
        var pools = loads.Select((_, c) => new ServicePool("catalog", poolOptions, new ServicePoolDependencies
        {
            TimeProvider = time,
            Random = new Random(settings.Seed + 1 + c),
            EndpointSources = [group.EndpointSource],
        })).ToArray();
        var meters = pools.Select(p => new PoolLoadMeter(p, time)).ToArray();
        group.AttachPool(pools[0]); // draining and, with one client, the metrics
        group.Start();
        foreach (var pool in pools)
        {
            pool.InitializeAsync().GetAwaiter().GetResult();
        }

        // Instances launched at start are booting: let them come into service before the day starts.
        time.AdvanceInSteps(TimeSpan.FromSeconds(BootSeconds + 1), Tick); // every timer at its own due time
        counting = true;

        // Same streams for every run: identical requests. Client 0 keeps the single-client run's stream.
        var arrivals = loads.Select((_, c) => new Random(settings.Seed + 2 + (1_000 * c))).ToArray();
        var serviceMu = Math.Log(MeanServiceSeconds) - (ServiceSigma * ServiceSigma / 2);
        var inFlight = new PriorityQueue<EndpointLease, long>();
        var reportEvery = Math.Max(1, (int)(settings.ReportInterval / Tick));
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

                for (var c = 0; c < loads.Count; c++)
                {
                    var rate = loads[c].ExpectedInFlight(s + (t / (double)ticksPerSecond)) / MeanServiceSeconds;
                    var count = LoadModel.Poisson(arrivals[c], rate * Tick.TotalSeconds);
                    for (var i = 0; i < count; i++)
                    {
                        var service = Math.Exp(serviceMu + (ServiceSigma * LoadModel.Gaussian(arrivals[c])));
                        var ticks = Math.Max(1, (long)Math.Round(service / Tick.TotalSeconds));
                        requests++;
                        try
                        {
                            inFlight.Enqueue(pools[c].Acquire(), tick + ticks);
                        }
                        catch (NoAvailableEndpointException)
                        {
                            failed++;
                        }
                    }
                }

                if (fleet is not null && tick % reportEvery == 0)
                {
                    for (var c = 0; c < pools.Length; c++)
                    {
                        fleet.Report($"client-{c}", meters[c].Measure());
                    }
                }
            }

            // One sample a second, as the group samples its metric on each 1 s reconcile tick.
            var instances = group.Instances;
            var serving = pools[0].Endpoints.Count(e => e.Health != EndpointHealth.Draining);
            var servingInFlight = 0;
            foreach (var pool in pools)
            {
                foreach (var state in pool.Endpoints)
                {
                    if (state.Health != EndpointHealth.Draining)
                    {
                        servingInFlight += state.ActiveRequests;
                    }
                }
            }

            var perInstance = serving == 0 ? double.NaN : servingInFlight / (double)serving;
            perSecond[second] = perInstance;
            instanceSeconds += instances.Count;
            peak = Math.Max(peak, instances.Count);
            minute[0] += loads.Sum(l => l.ExpectedInFlight(s));
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

        foreach (var pool in pools)
        {
            pool.Dispose();
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

/// <summary>
/// What to simulate: the window of the day, the seed, and whether the group reads the fleet's figures (each client's
/// pool reported every <paramref name="ReportInterval"/>) instead of its attached pool's.
/// </summary>
internal sealed record SimulationSettings(int StartSecond, int EndSecond, int Seed, bool FleetMetrics, TimeSpan ReportInterval);

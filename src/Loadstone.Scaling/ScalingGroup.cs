using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loadstone.Scaling;

/// <summary>
/// Keeps the right number of healthy instances of a service running and feeds them to the balancer, with the rules
/// of an EC2 Auto Scaling group: min/max/desired capacity, zone balance, termination policies, health replacement,
/// lifecycle hooks, dynamic and scheduled scaling, instance refresh. The group decides when and where; the
/// <see cref="IInstanceLauncher"/> decides what.
/// </summary>
/// <remarks>
/// <para>
/// Connect it to a pool by adding <see cref="EndpointSource"/> to the service's endpoint sources and calling
/// <see cref="AttachPool"/>, then call <see cref="Start"/> (<c>AddScalingGroup</c> does all three). A reconcile timer
/// on <see cref="ScalingGroupDependencies.TimeProvider"/> does the rest. A terminating instance leaves the endpoint source
/// first; the attached pool drains it with its own deregistration delay, and the group stops it once the pool has
/// let it go.
/// </para>
/// <para>
/// Events are raised after the group's state has changed, outside its lock, on the thread that made the change
/// (a timer thread, a launcher's completion, or the caller of a method). Calling the group from a handler is safe.
/// </para>
/// <para>
/// With a coordinator (<see cref="ScalingGroupDependencies.Coordinator"/>) the group is one copy of a group shared by a
/// fleet of clients: only the elected copy (<see cref="IsLeader"/>) acts, committing each change before carrying it out
/// (events are then raised once the change is committed, on a background thread); the other copies show the committed
/// state, and their operations (<see cref="SetDesiredCapacity"/>, <see cref="ExecutePolicy"/> and the other changes)
/// throw <see cref="InvalidOperationException"/>.
/// </para>
/// </remarks>
public sealed partial class ScalingGroup : IAsyncDisposable, IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private readonly ChangeRunner _runner;
    private readonly GroupContext _context;
    private readonly ScalingMetrics _metrics;
    private readonly EndpointPublisher _endpoints;
    private readonly LifecycleActions _hooks;
    private readonly InstanceLifecycle _lifecycle;
    private readonly DeregistrationWait _deregistration;
    private readonly HealthReplacement _health;
    private readonly ZoneBalance _zones;
    private readonly CapacityAdjuster _capacity;
    private readonly ScheduledActionRunner _scheduled;
    private readonly InstanceRefresher _refresh;
    private readonly DynamicScaling _scaling;
    private readonly GroupCoordination? _coordination;

    private ITimer? _timer;
    private bool _started;

    /// <summary>Creates a group. It launches nothing until <see cref="Start"/>.</summary>
    /// <param name="name">The group's name, used in instance ids, causes, logs and metric tags.</param>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="launcher">What to launch: the launch template.</param>
    /// <param name="dependencies">
    /// The clock, random source, logs, meter factory, balancer health view, metrics source and coordinator; <see langword="null"/>
    /// for the defaults (system clock, no logs, the process's meter, a group of its own).
    /// </param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem, naming the setting.</exception>
    /// <exception cref="ArgumentException">A coordinator is given but the launcher's instances do not outlive the process (it is not an <see cref="IDurableInstanceLauncher"/>).</exception>
    public ScalingGroup(string name, ScalingGroupOptions options, IInstanceLauncher launcher, ScalingGroupDependencies? dependencies = null)
        : this(name, options, launcher, dependencies ?? new ScalingGroupDependencies(), ScalingMetrics.For(dependencies?.MeterFactory))
    {
    }

    internal ScalingGroup(string name, ScalingGroupOptions options, IInstanceLauncher launcher, ScalingGroupDependencies dependencies, ScalingMetrics metrics)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(launcher);
        ArgumentNullException.ThrowIfNull(dependencies);
        ScalingGroupOptionsValidation.ThrowIfInvalid(options, name);
        if (dependencies.Coordinator is { } c && launcher is not IDurableInstanceLauncher)
        {
            throw new ArgumentException(
                $"Scaling group '{name}' has a coordinator ({c.Name}), so its instances must outlive the process that launched them; its launcher ({launcher.GetType().Name}) is not an IDurableInstanceLauncher.",
                nameof(launcher));
        }

        Name = name;
        _metrics = metrics;
        var logger = (ILogger?)dependencies.LoggerFactory?.CreateLogger("Loadstone.ScalingGroup") ?? NullLogger.Instance;
        _runner = new ChangeRunner(name, dependencies.TimeProvider, logger);
        var activities = new ActivityLog(name, options.MaxActivityHistory, _runner, logger, metrics,
            a => ActivityStarted?.Invoke(this, new ScalingActivityEventArgs(a)),
            a => ActivityEnded?.Invoke(this, new ScalingActivityEventArgs(a)));
        _context = new GroupContext(name, options, launcher, dependencies, logger, _runner, activities, _disposed.Token);
        var sampler = new MetricSampler(_context);
        // Once the pools have seen an update, a terminating instance they let go at once (nothing in flight) moves on.
        _endpoints = new EndpointPublisher(name, _runner, () => _runner.Run(ProgressDeregistration, reconcile: false), !_context.InstancesRegisterThemselves);
        _hooks = new LifecycleActions(_context, (instance, hook) => LifecycleActionRequired?.Invoke(this, new LifecycleActionEventArgs(instance, hook)));
        _lifecycle = new InstanceLifecycle(_context, _hooks, _endpoints);
        _deregistration = new DeregistrationWait(_context, _lifecycle);
        _health = new HealthReplacement(_context, _lifecycle);
        _zones = new ZoneBalance(_context, _lifecycle);
        _capacity = new CapacityAdjuster(_context, _lifecycle, _zones);
        _scheduled = new ScheduledActionRunner(_context);
        _refresh = new InstanceRefresher(_context, _lifecycle);
        var cooldown = new Cooldown(_context);
        _scaling = new DynamicScaling(_context, sampler, cooldown);
        if (dependencies.Coordinator is { } coordinator)
        {
            var state = new GroupState(_context, _lifecycle, cooldown, _refresh, _scheduled, _scaling);
            var committer = new StateCommitter(_context, coordinator, state, _disposed.Token);
            _runner.Committer = committer.Submit;
            _coordination = new GroupCoordination(_context, coordinator, state, committer, ReconcileCore, Resume);
        }

        metrics.Register(this);
    }

    /// <summary>The group's name.</summary>
    public string Name { get; }

    /// <summary>The group's clock.</summary>
    internal TimeProvider Time => _context.Time;

    /// <summary>The least number of instances (changed by <see cref="UpdateCapacity"/> and scheduled actions).</summary>
    public int MinSize => _context.Capacity.Min;

    /// <summary>The most instances.</summary>
    public int MaxSize => _context.Capacity.Max;

    /// <summary>The number of instances the group works toward, always within [<see cref="MinSize"/>, <see cref="MaxSize"/>].</summary>
    public int DesiredCapacity => _context.Capacity.Desired;

    /// <summary>The processes currently suspended.</summary>
    public ScalingProcesses SuspendedProcesses
    {
        get
        {
            lock (_runner.Gate)
            {
                return _context.Suspended;
            }
        }
    }

    /// <summary>
    /// The endpoints of the in-service instances, to add to the service's endpoint sources. Its change token fires on
    /// every membership change; an empty list is a real answer (a group with no instance in service). For a group whose
    /// instances register themselves (a coordinator with <see cref="IScalingGroupCoordinator.InstanceEndpoints"/>), it
    /// is the coordinator's source of their registrations.
    /// </summary>
    public IEndpointSource EndpointSource => _context.Coordinator?.InstanceEndpoints ?? _endpoints.Source;

    /// <summary>
    /// Whether this copy of the group acts: always for a group of its own; for one shared by a fleet
    /// (<see cref="ScalingGroupDependencies.Coordinator"/>), only while it is the elected leader and has taken the
    /// committed state over. The other copies show the committed state and refuse operations.
    /// </summary>
    public bool IsLeader
    {
        get
        {
            lock (_runner.Gate)
            {
                return _coordination is null || _coordination.IsLeading;
            }
        }
    }

    /// <summary>The launcher.</summary>
    public IInstanceLauncher Launcher => _context.Launcher;

    /// <summary>The instances the group has (every state but <see cref="ScalingInstanceState.Terminated"/>), in launch order.</summary>
    public IReadOnlyList<ScalingInstance> Instances
    {
        get
        {
            lock (_runner.Gate)
            {
                return [.. _context.Instances];
            }
        }
    }

    /// <summary>The most recent activities, oldest first, up to <see cref="ScalingGroupOptions.MaxActivityHistory"/>.</summary>
    public IReadOnlyList<ScalingActivity> Activities
    {
        get
        {
            lock (_runner.Gate)
            {
                return _context.Activities.Snapshot();
            }
        }
    }

    /// <summary>The current or last instance refresh; <see langword="null"/> if none was started.</summary>
    public InstanceRefreshStatus? InstanceRefresh
    {
        get
        {
            lock (_runner.Gate)
            {
                return _refresh.Status;
            }
        }
    }

    /// <summary>Raised when an activity starts (launch, terminate, capacity change).</summary>
    public event EventHandler<ScalingActivityEventArgs>? ActivityStarted;

    /// <summary>Raised when an activity ends, successfully or not; capacity changes start and end at once.</summary>
    public event EventHandler<ScalingActivityEventArgs>? ActivityEnded;

    /// <summary>
    /// Raised when an instance waits on a lifecycle hook. Do the work, then call
    /// <see cref="CompleteLifecycleAction"/> (or <see cref="RecordLifecycleActionHeartbeat"/> to ask for more time).
    /// </summary>
    public event EventHandler<LifecycleActionEventArgs>? LifecycleActionRequired;

    /// <summary>
    /// Gives the group the pool it feeds. The group reads only <see cref="ServicePool.Endpoints"/>: the metrics of
    /// target tracking and alarms, the balancer's health when asked, and whether the pool still holds a terminating
    /// instance's endpoint (the pool drains it with its own <see cref="LoadBalancingOptions.DeregistrationDelay"/>, and
    /// the group stops the instance once the pool has let it go). Without a pool, built-in metrics are missing data and
    /// a terminating instance is stopped at once (nothing can be in flight to it through Loadstone).
    /// </summary>
    /// <param name="pool">The pool whose endpoint sources include <see cref="EndpointSource"/>. Keep it alive while the group runs.</param>
    /// <param name="useBalancerHealth">
    /// When <see langword="true"/>, an instance whose endpoint the pool reports <see cref="EndpointHealth.Unhealthy"/>
    /// (failed active checks, or ejected) is unhealthy once the grace period is over, like health check type ELB.
    /// The default is <see langword="false"/>: the launcher's status (and <see cref="ScalingGroupDependencies.LoadBalancerHealth"/>) only.
    /// </param>
    public void AttachPool(ServicePool pool, bool useBalancerHealth = false)
    {
        ArgumentNullException.ThrowIfNull(pool);
        lock (_runner.Gate)
        {
            _context.Pool = new AttachedPool(pool, useBalancerHealth);
        }
    }

    /// <summary>Starts the reconcile timer and reconciles at once. Calling it again does nothing.</summary>
    /// <exception cref="ObjectDisposedException">The group is disposed.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        lock (_runner.Gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            var now = _context.Time.GetUtcNow();
            _scheduled.Start(now);
            _scaling.Start(now);
            if (_coordination is null)
            {
                _runner.Reconciler = ReconcileCore; // a coordinated copy reconciles only while it leads
            }

            var interval = _context.Options.ReconcileInterval;
            _timer = _context.Time.CreateTimer(static s => ((ScalingGroup)s!).Reconcile(), this, interval, interval);
        }

        _coordination?.Start();
        Reconcile();
    }

    /// <summary>Runs one reconcile pass now (the timer does this every <see cref="ScalingGroupOptions.ReconcileInterval"/>).</summary>
    public void Reconcile() => _runner.Run(null, reconcile: true);

    /// <summary>
    /// Stops the timer and, if <see cref="ScalingGroupOptions.StopInstancesOnDispose"/>, stops every instance (without
    /// draining). A coordinated copy instead commits what it decided, gives leadership up and leaves the instances to
    /// the next leader.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_coordination is { } coordination)
        {
            lock (_runner.Gate)
            {
                if (_disposed.IsCancellationRequested)
                {
                    return;
                }

                _runner.IsStopped = true;
                _timer?.Dispose();
                _metrics.Unregister(this);
            }

            await coordination.DisposeAsync().ConfigureAwait(false);
            await _disposed.CancelAsync().ConfigureAwait(false);
            return;
        }

        List<LaunchedInstance> toStop = [];
        lock (_runner.Gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            _runner.IsStopped = true;
            _timer?.Dispose();
            _metrics.Unregister(this);
            var now = _context.Time.GetUtcNow();
            foreach (var instance in _context.Instances)
            {
                if (instance.Launched is { } launched && instance.State != ScalingInstanceState.Stopping && _context.Options.StopInstancesOnDispose)
                {
                    toStop.Add(launched);
                }

                if (instance.Activity is { Status: ScalingActivityStatus.InProgress } activity)
                {
                    activity.End(now, ScalingActivityStatus.Cancelled, "The group was disposed.");
                }

                instance.State = ScalingInstanceState.Stopping;
            }
        }

        await Task.WhenAll(toStop.Select(_lifecycle.StopQuietlyAsync)).ConfigureAwait(false);
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>One pass over every rule, in the order Auto Scaling's processes depend on each other.</summary>
    private void ReconcileCore(DateTimeOffset now)
    {
        if (_coordination is { IsLeading: false })
        {
            return; // leadership ended (a lease deadline passed) before the coordinator's change was handled
        }

        _scheduled.RunDue(now);
        _scaling.SampleAndScale(now);
        _health.CheckHealth(now);
        _health.ReplaceInstances(now);
        _refresh.Progress(now);
        _lifecycle.ProgressHooks(now);
        _capacity.Adjust(now);
        _zones.Rebalance(now);
        _deregistration.Progress(now);
        _scaling.Cooldown.Track(now);
    }

    private void ProgressDeregistration(DateTimeOffset now) => _deregistration.Progress(now);

    /// <summary>A new leader took the committed state over: it completes what the previous leader left under way.</summary>
    private void Resume(DateTimeOffset now)
    {
        foreach (var instance in _context.Instances)
        {
            _lifecycle.Resume(instance);
        }
    }

    /// <summary>Runs an operation of the Auto Scaling API; a coordinated copy that does not lead refuses it.</summary>
    private bool Operate(Action<DateTimeOffset> change, bool reconcile) => _runner.Run(now =>
    {
        if (_coordination?.Refusal is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        change(now);
    }, reconcile);

    /// <summary>Runs a change under the lock and reconciles; throws when it could not run now.</summary>
    private T RunForResult<T>(Func<DateTimeOffset, T> change)
        where T : class
    {
        T? result = null;
        if (!Operate(now => result = change(now), reconcile: true) || result is null)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            throw new InvalidOperationException($"Scaling group '{Name}' cannot be changed from inside a delegate it is calling.");
        }

        return result;
    }
}

using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loadstone.Scaling;

/// <summary>
/// Keeps the right number of healthy instances of a service running and feeds them to the balancer, with the rules
/// of an EC2 Auto Scaling group: min/max/desired capacity, zone balance, termination policies, health replacement,
/// lifecycle hooks, draining, dynamic and scheduled scaling. The group decides when and where; the
/// <see cref="IInstanceLauncher"/> decides what.
/// </summary>
/// <remarks>
/// <para>
/// Connect it to a pool by adding <see cref="EndpointSource"/> to <see cref="LoadBalancingOptions.EndpointSources"/>
/// and calling <see cref="AttachPool"/> (metrics for target tracking and in-flight counts for draining), then call
/// <see cref="Start"/>. A reconcile timer on <see cref="ScalingGroupOptions.TimeProvider"/> does the rest.
/// </para>
/// <para>
/// Events are raised after the group's state has changed, outside its lock, on the thread that made the change
/// (a timer thread, a launcher's completion, or the caller of a method). Calling the group from a handler is safe.
/// </para>
/// </remarks>
public sealed partial class ScalingGroup : IAsyncDisposable, IDisposable
{
    private readonly Lock _gate = new();
    private readonly ScalingGroupOptions _options;
    private readonly IInstanceLauncher _launcher;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly DynamicEndpointSource _source;
    private readonly string?[] _zones;
    private readonly TerminationPolicy[] _terminationPolicies;
    private readonly List<ScalingInstance> _instances = [];
    private readonly Queue<ScalingActivity> _activities = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly List<Action> _deferred = [];
    private readonly List<Action<DateTimeOffset>> _queued = [];
    private readonly List<PolicyRuntime> _policies;
    private readonly Dictionary<ScheduledAction, DateTimeOffset?> _scheduled = [];
    private readonly Dictionary<string, long> _lastTotals = new(StringComparer.Ordinal);

    private ITimer? _timer;
    private ServicePool? _pool;
    private bool _useBalancerHealth;
    private LoadBalancedEndpoint[] _published = [];
    private int _min;
    private int _max;
    private int _desired;
    private ScalingProcesses _suspended;
    private long _instanceSequence;
    private long _activitySequence;
    private string _desiredCause;
    private DateTimeOffset _launchBlockedUntil;
    private int _replacementsOwed;
    private DateTimeOffset _cooldownUntil;
    private TimeSpan? _pendingCooldown;
    private DateTimeOffset? _lastSample;
    private bool _running;
    private bool _started;

    /// <summary>Creates a group. It launches nothing until <see cref="Start"/>.</summary>
    /// <param name="name">The group's name, used in instance ids, causes and logs.</param>
    /// <param name="options">The options; validated here.</param>
    /// <param name="launcher">What to launch: the launch template.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem, naming the setting.</exception>
    public ScalingGroup(string name, ScalingGroupOptions options, IInstanceLauncher launcher, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(launcher);
        options.ThrowIfInvalid(name);
        Name = name;
        _options = options;
        _launcher = launcher;
        _logger = (ILogger?)loggerFactory?.CreateLogger("Loadstone.ScalingGroup") ?? NullLogger.Instance;
        _time = options.TimeProvider ?? TimeProvider.System;
        _random = options.Random ?? Random.Shared;
        _min = options.MinSize;
        _max = options.MaxSize;
        _desired = options.DesiredCapacity ?? options.MinSize;
        _zones = options.AvailabilityZones.Count == 0 ? [null] : [.. options.AvailabilityZones];
        _terminationPolicies = [.. options.TerminationPolicies];
        _source = new DynamicEndpointSource($"scaling-group:{name}") { AllowsEmpty = true };
        _desiredCause = $"At {Stamp(_time.GetUtcNow())} the group was created with a desired capacity of {_desired}.";
        _policies = [.. options.Policies.Select(p => new PolicyRuntime(p))];
        ScalingMetrics.Register(this);
    }

    /// <summary>The group's name.</summary>
    public string Name { get; }

    /// <summary>The least number of instances (changed by <see cref="UpdateCapacity"/> and scheduled actions).</summary>
    public int MinSize => Volatile.Read(ref _min);

    /// <summary>The most instances.</summary>
    public int MaxSize => Volatile.Read(ref _max);

    /// <summary>The number of instances the group works toward, always within [<see cref="MinSize"/>, <see cref="MaxSize"/>].</summary>
    public int DesiredCapacity => Volatile.Read(ref _desired);

    /// <summary>The processes currently suspended.</summary>
    public ScalingProcesses SuspendedProcesses
    {
        get
        {
            lock (_gate)
            {
                return _suspended;
            }
        }
    }

    /// <summary>
    /// The endpoints of the in-service instances, for <see cref="LoadBalancingOptions.EndpointSources"/>. Its change
    /// token fires on every membership change. (A pool keeps its last endpoints when this list becomes empty.)
    /// </summary>
    public IEndpointSource EndpointSource => _source;

    /// <summary>The launcher.</summary>
    public IInstanceLauncher Launcher => _launcher;

    /// <summary>The instances the group has (every state but <see cref="ScalingInstanceState.Terminated"/>), in launch order.</summary>
    public IReadOnlyList<ScalingInstance> Instances
    {
        get
        {
            lock (_gate)
            {
                return [.. _instances];
            }
        }
    }

    /// <summary>The most recent activities, oldest first, up to <see cref="ScalingGroupOptions.MaxActivityHistory"/>.</summary>
    public IReadOnlyList<ScalingActivity> Activities
    {
        get
        {
            lock (_gate)
            {
                return [.. _activities];
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
    /// Gives the group the pool it feeds, whose <see cref="ServicePool.Endpoints"/> provide the metrics of target
    /// tracking and the in-flight counts that end draining early. Without one, built-in metrics are missing data and
    /// a terminating instance waits the whole <see cref="ScalingGroupOptions.DeregistrationDelay"/>.
    /// </summary>
    /// <param name="pool">The pool whose endpoint sources include <see cref="EndpointSource"/>.</param>
    /// <param name="useBalancerHealth">
    /// When <see langword="true"/>, an instance whose endpoint the pool reports <see cref="EndpointHealth.Unhealthy"/>
    /// (failed active checks, or ejected) is unhealthy once the grace period is over, like health check type ELB.
    /// The default is <see langword="false"/>: the launcher's status (and <see cref="ScalingGroupOptions.LoadBalancerHealth"/>) only.
    /// </param>
    public void AttachPool(ServicePool pool, bool useBalancerHealth = false)
    {
        ArgumentNullException.ThrowIfNull(pool);
        lock (_gate)
        {
            _pool = pool;
            _useBalancerHealth = useBalancerHealth;
        }
    }

    /// <summary>Starts the reconcile timer and reconciles at once. Calling it again does nothing.</summary>
    /// <exception cref="ObjectDisposedException">The group is disposed.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        lock (_gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            var now = _time.GetUtcNow();
            foreach (var action in _options.ScheduledActions)
            {
                // A one-time action due right now still runs; a recurrence starts with its next occurrence.
                _scheduled[action] = action.NextRun(action.Recurrence is null ? now - TimeSpan.FromTicks(1) : now);
            }

            foreach (var runtime in _policies)
            {
                runtime.PeriodEnd = now + runtime.Period;
            }

            _timer = _time.CreateTimer(static s => ((ScalingGroup)s!).Reconcile(), this, _options.ReconcileInterval, _options.ReconcileInterval);
        }

        Reconcile();
    }

    /// <summary>Runs one reconcile pass now (the timer does this every <see cref="ScalingGroupOptions.ReconcileInterval"/>).</summary>
    public void Reconcile() => Run(null, reconcile: true);

    /// <summary>
    /// Sets the desired capacity, like SetDesiredCapacity. The group launches or terminates toward it.
    /// </summary>
    /// <param name="desiredCapacity">The new desired capacity, within [<see cref="MinSize"/>, <see cref="MaxSize"/>].</param>
    /// <param name="honorCooldown">When <see langword="true"/>, refuse while a simple scaling activity or its cooldown runs. The default is <see langword="false"/>.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [min, max].</exception>
    public ScalingPolicyResult SetDesiredCapacity(int desiredCapacity, bool honorCooldown = false)
    {
        return RunForResult(now =>
        {
            if (desiredCapacity < _min || desiredCapacity > _max)
            {
                throw new ArgumentOutOfRangeException(nameof(desiredCapacity), desiredCapacity,
                    $"The desired capacity of scaling group '{Name}' must be between MinSize ({_min}) and MaxSize ({_max}).");
            }

            var before = _desired;
            if (honorCooldown && CooldownReason(now) is { } busy)
            {
                return new ScalingPolicyResult(false, before, before, busy);
            }

            ChangeDesired(desiredCapacity, now, "a user request (SetDesiredCapacity)");
            return new ScalingPolicyResult(true, before, _desired, $"Desired capacity set to {_desired}.");
        });
    }

    /// <summary>
    /// Changes min, max and/or desired capacity, like UpdateAutoScalingGroup. A desired capacity not given is moved
    /// into the new range if it falls outside.
    /// </summary>
    /// <param name="minSize">The new minimum, or <see langword="null"/> to keep it.</param>
    /// <param name="maxSize">The new maximum, or <see langword="null"/> to keep it.</param>
    /// <param name="desiredCapacity">The new desired capacity, or <see langword="null"/> to keep (and clamp) it.</param>
    /// <exception cref="ArgumentException">The combination is not valid (min above max, desired outside the range).</exception>
    public void UpdateCapacity(int? minSize = null, int? maxSize = null, int? desiredCapacity = null) =>
        Run(now =>
        {
            var min = minSize ?? _min;
            var max = maxSize ?? _max;
            if (min < 0 || max < 1 || max > ScalingGroupOptions.MaxInstances || min > max)
            {
                throw new ArgumentException($"Scaling group '{Name}': MinSize ({min}) and MaxSize ({max}) must satisfy 0 ≤ MinSize ≤ MaxSize, 1 ≤ MaxSize ≤ {ScalingGroupOptions.MaxInstances}.");
            }

            if (desiredCapacity is { } d && (d < min || d > max))
            {
                throw new ArgumentException($"Scaling group '{Name}': DesiredCapacity ({d}) must be between MinSize ({min}) and MaxSize ({max}).", nameof(desiredCapacity));
            }

            ApplyCapacity(min, max, desiredCapacity, now, "a user request (UpdateCapacity)");
        }, reconcile: true);

    /// <summary>
    /// Runs a simple or step scaling policy now, like ExecutePolicy. Target tracking policies cannot be run by hand.
    /// </summary>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="metricValue">The metric value; required for a step scaling policy (it chooses the step).</param>
    /// <param name="honorCooldown">For a simple policy: refuse while its activity or cooldown runs. The default is <see langword="true"/>.</param>
    /// <returns>What happened, with the reason in words.</returns>
    /// <exception cref="ArgumentException">No such policy, a target tracking policy, or a step policy without a value.</exception>
    public ScalingPolicyResult ExecutePolicy(string policyName, double? metricValue = null, bool honorCooldown = true)
    {
        ArgumentNullException.ThrowIfNull(policyName);
        var runtime = _policies.FirstOrDefault(p => p.Policy.Name == policyName)
            ?? throw new ArgumentException($"Scaling group '{Name}' has no policy named '{policyName}'.", nameof(policyName));
        return RunForResult(now =>
        {
            var before = _desired;
            var proposal = runtime.Policy switch
            {
                SimpleScalingPolicy simple => honorCooldown && CooldownReason(now) is { } busy
                    ? new Proposal(before, busy, null, Refused: true)
                    : SimpleProposal(simple),
                StepScalingPolicy step => metricValue is { } v
                    ? StepProposal(step, v, now) ?? new Proposal(before, $"No step of policy '{step.Name}' covers the value {Format(v)}.", null, Refused: true)
                    : throw new ArgumentException($"Policy '{policyName}' is a step scaling policy; pass the metric value.", nameof(metricValue)),
                _ => throw new ArgumentException($"Policy '{policyName}' is a target tracking policy; it cannot be executed by hand.", nameof(policyName)),
            };
            return ApplyProposal(proposal, now, before);
        });
    }

    /// <summary>Marks an instance healthy or unhealthy, like SetInstanceHealth. An unhealthy instance is replaced.</summary>
    /// <param name="instanceId">The instance's <see cref="ScalingInstance.Id"/>.</param>
    /// <param name="healthy">Its health.</param>
    /// <returns><see langword="false"/> when the group has no such instance.</returns>
    public bool SetInstanceHealth(string instanceId, bool healthy)
    {
        var found = false;
        Run(_ =>
        {
            if (Find(instanceId) is { } instance)
            {
                found = true;
                instance.Health = healthy ? ScalingInstanceHealth.Healthy : ScalingInstanceHealth.Unhealthy;
                instance.HealthReason = healthy ? null : "it was marked unhealthy by a user request (SetInstanceHealth)";
            }
        }, reconcile: true);
        return found;
    }

    /// <summary>Protects an instance from scale-in, or removes the protection, like SetInstanceProtection.</summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="protectedFromScaleIn">Whether scale-in may choose it.</param>
    /// <returns><see langword="false"/> when the group has no such instance.</returns>
    public bool SetInstanceProtection(string instanceId, bool protectedFromScaleIn)
    {
        var found = false;
        Run(_ =>
        {
            if (Find(instanceId) is { } instance)
            {
                found = true;
                instance.IsProtectedFromScaleIn = protectedFromScaleIn;
            }
        }, reconcile: false);
        return found;
    }

    /// <summary>
    /// Terminates one instance (draining it first), like TerminateInstanceInAutoScalingGroup. Protection does not
    /// apply.
    /// </summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="decrementDesiredCapacity">
    /// <see langword="true"/> to lower the desired capacity by one (not below min); <see langword="false"/> to have it replaced.
    /// </param>
    /// <returns><see langword="false"/> when the group has no such instance in service.</returns>
    public bool TerminateInstance(string instanceId, bool decrementDesiredCapacity)
    {
        var found = false;
        Run(now =>
        {
            if (Find(instanceId) is { State: ScalingInstanceState.InService } instance)
            {
                found = true;
                var cause = $"At {Stamp(now)} instance {instance.Id} was taken out of service by a user request (TerminateInstance)";
                if (decrementDesiredCapacity && _desired > _min)
                {
                    ChangeDesired(_desired - 1, now, "a user request (TerminateInstance) that decremented the desired capacity");
                    cause += $", shrinking the capacity from {_desired + 1} to {_desired}.";
                }
                else
                {
                    cause += ".";
                }

                BeginTerminate(instance, cause, now);
            }
        }, reconcile: true);
        return found;
    }

    /// <summary>Suspends processes, like SuspendProcesses.</summary>
    /// <param name="processes">The processes to suspend.</param>
    public void SuspendProcesses(ScalingProcesses processes) => Run(_ => _suspended |= processes, reconcile: false);

    /// <summary>Resumes processes, like ResumeProcesses.</summary>
    /// <param name="processes">The processes to resume.</param>
    public void ResumeProcesses(ScalingProcesses processes) => Run(_ => _suspended &= ~processes, reconcile: true);

    /// <summary>Ends an instance's wait on a lifecycle hook, like CompleteLifecycleAction.</summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="hookName">The hook's name.</param>
    /// <param name="result">How the wait ends.</param>
    /// <returns><see langword="false"/> when the instance is not waiting on that hook.</returns>
    public bool CompleteLifecycleAction(string instanceId, string hookName, LifecycleActionResult result)
    {
        var found = false;
        Run(_ =>
        {
            if (FindWait(instanceId, hookName) is { } wait)
            {
                found = true;
                wait.Result = result;
            }
        }, reconcile: true);
        return found;
    }

    /// <summary>Restarts a lifecycle hook's heartbeat timeout, like RecordLifecycleActionHeartbeat.</summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="hookName">The hook's name.</param>
    /// <returns><see langword="false"/> when the instance is not waiting on that hook.</returns>
    public bool RecordLifecycleActionHeartbeat(string instanceId, string hookName)
    {
        var found = false;
        Run(now =>
        {
            if (FindWait(instanceId, hookName) is { } wait)
            {
                found = true;
                wait.Deadline = now + wait.Hook.HeartbeatTimeout;
            }
        }, reconcile: false);
        return found;
    }

    /// <summary>The state of a simple or step policy's alarm, or of a target tracking policy's scale-out alarm.</summary>
    /// <param name="policyName">The policy's name.</param>
    /// <exception cref="ArgumentException">No such policy, or a simple policy without an alarm.</exception>
    public ScalingAlarmState GetAlarmState(string policyName)
    {
        lock (_gate)
        {
            var runtime = _policies.FirstOrDefault(p => p.Policy.Name == policyName)
                ?? throw new ArgumentException($"Scaling group '{Name}' has no policy named '{policyName}'.", nameof(policyName));
            return (runtime.Alarm ?? runtime.High ?? throw new ArgumentException($"Policy '{policyName}' has no alarm.", nameof(policyName))).State;
        }
    }

    /// <summary>Stops the timer and, if <see cref="ScalingGroupOptions.StopInstancesOnDispose"/>, stops every instance (without draining).</summary>
    public async ValueTask DisposeAsync()
    {
        List<ScalingInstance> toStop = [];
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            _timer?.Dispose();
            ScalingMetrics.Unregister(this);
            var now = _time.GetUtcNow();
            foreach (var instance in _instances)
            {
                if (instance.Launched is not null && instance.State != ScalingInstanceState.Stopping && _options.StopInstancesOnDispose)
                {
                    toStop.Add(instance);
                }

                if (instance.Activity is { Status: ScalingActivityStatus.InProgress } activity)
                {
                    activity.End(now, ScalingActivityStatus.Cancelled, "The group was disposed.");
                }

                instance.State = ScalingInstanceState.Stopping;
            }
        }

        var stops = toStop.Select(async i =>
        {
            try
            {
                await _launcher.StopAsync(i.Launched!, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Disposal must stop the other instances whatever one of them throws.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.StopFailed(_logger, Name, i.Id, ex);
            }
        });
        await Task.WhenAll(stops).ConfigureAwait(false);
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // ---- the engine ----

    /// <summary>
    /// Applies a change and/or reconciles under the lock, then runs the deferred work (launcher calls, events,
    /// endpoint updates) outside it. A call made while the lock's holder is computing (a delegate the group called
    /// calling back) is queued and applied by the holder.
    /// </summary>
    private bool Run(Action<DateTimeOffset>? change, bool reconcile)
    {
        List<Action> deferred;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_running)
            {
                if (change is not null)
                {
                    _queued.Add(change);
                }

                return false;
            }

            if (_disposed.IsCancellationRequested)
            {
                return false;
            }

            _running = true;
            try
            {
                change?.Invoke(now);
                for (var round = 0; round < 10 && (_queued.Count > 0 || round == 0); round++)
                {
                    foreach (var queued in _queued.ToArray())
                    {
                        _queued.Remove(queued);
                        queued(now);
                    }

                    if (reconcile && _started)
                    {
                        try
                        {
                            ReconcileCore(now);
                        }
#pragma warning disable CA1031 // A failing delegate (metric, health, termination policy) must not stop the timer.
                        catch (Exception ex)
#pragma warning restore CA1031
                        {
                            Log.ReconcileFailed(_logger, Name, ex);
                        }
                    }
                }
            }
            finally
            {
                _running = false;
                deferred = [.. _deferred];
                _deferred.Clear();
            }
        }

        foreach (var action in deferred)
        {
            try
            {
                action();
            }
#pragma warning disable CA1031 // An event handler's exception must not break the group's bookkeeping.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.HandlerFailed(_logger, Name, ex);
            }
        }

        return true;
    }

    /// <summary>Runs a change that produces a result; throws when it could not run now.</summary>
    private T RunForResult<T>(Func<DateTimeOffset, T> change)
        where T : class
    {
        T? result = null;
        if (!Run(now => result = change(now), reconcile: true) || result is null)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            throw new InvalidOperationException($"Scaling group '{Name}' cannot be changed from inside a delegate it is calling.");
        }

        return result;
    }

    private void ReconcileCore(DateTimeOffset now)
    {
        RunScheduledActions(now);
        SampleAndScale(now);
        CheckHealth(now);
        ReplaceInstances(now);
        ProgressRefresh(now);
        ProgressHooks(now);
        AdjustCapacity(now);
        Rebalance(now);
        ProgressDraining(now);
        TrackCooldown(now);
    }

    private void RunScheduledActions(DateTimeOffset now)
    {
        foreach (var action in _options.ScheduledActions)
        {
            if (_scheduled[action] is not { } due || due > now)
            {
                continue;
            }

            _scheduled[action] = action.NextRun(now);
            if ((_suspended & ScalingProcesses.ScheduledActions) != 0)
            {
                continue;
            }

            var min = action.MinSize ?? _min;
            var max = action.MaxSize ?? _max;
            if (min > max)
            {
                // A scheduled min above the current max (or the reverse) moves the other bound with it.
                if (action.MinSize is null) { min = max; } else { max = min; }
            }

            ApplyCapacity(min, Math.Max(max, 1), action.DesiredCapacity, now, $"scheduled action '{action.Name}' (due {Stamp(due)})");
        }
    }

    private void ApplyCapacity(int min, int max, int? desired, DateTimeOffset now, string who)
    {
        var (oldMin, oldMax, oldDesired) = (_min, _max, _desired);
        Volatile.Write(ref _min, min);
        Volatile.Write(ref _max, max);
        var target = ScalingMath.Clamp(desired ?? _desired, min, max);
        if (oldMin == min && oldMax == max && oldDesired == target)
        {
            return;
        }

        Volatile.Write(ref _desired, target);
        var text = $"At {Stamp(now)} {who} set min {oldMin}→{min}, max {oldMax}→{max}, desired capacity {oldDesired}→{target}.";
        if (oldDesired != target)
        {
            _desiredCause = $"At {Stamp(now)} {who} changed the desired capacity from {oldDesired} to {target}.";
        }

        RecordCapacityChange(text, now);
    }

    private void ChangeDesired(int target, DateTimeOffset now, string who)
    {
        var before = _desired;
        target = ScalingMath.Clamp(target, _min, _max);
        if (target == before)
        {
            return;
        }

        Volatile.Write(ref _desired, target);
        _desiredCause = $"At {Stamp(now)} {who} changed the desired capacity from {before} to {target}.";
        RecordCapacityChange(_desiredCause, now);
    }

    private void RecordCapacityChange(string cause, DateTimeOffset now)
    {
        var activity = StartActivity(ScalingActivityKind.CapacityChange,
            $"Setting capacity: min {_min}, max {_max}, desired {_desired}", cause, now, null);
        EndActivity(activity, now, ScalingActivityStatus.Successful);
    }

    private void CheckHealth(DateTimeOffset now)
    {
        if ((_suspended & ScalingProcesses.HealthCheck) != 0)
        {
            return;
        }

        var balancer = _useBalancerHealth ? PoolStates() : null;
        foreach (var instance in _instances)
        {
            if (instance.State != ScalingInstanceState.InService || instance.Health == ScalingInstanceHealth.Unhealthy)
            {
                continue;
            }

            var status = _launcher.GetStatus(instance.Launched!);
            var graceOver = now >= instance.InServiceAt + _options.HealthCheckGracePeriod;
            string? reason = status == InstanceStatus.Stopped ? "the launcher reports it stopped"
                : !graceOver ? null
                : status == InstanceStatus.Impaired ? "it failed the launcher's status checks"
                : _options.LoadBalancerHealth?.Invoke(instance) == false ? "it failed the balancer's health checks"
                : balancer?.GetValueOrDefault(instance.Endpoint!.Id) is { Health: EndpointHealth.Unhealthy } state
                    ? $"the balancer reports it unhealthy ({state.HealthReason})"
                : null;
            if (reason is not null)
            {
                instance.Health = ScalingInstanceHealth.Unhealthy;
                instance.HealthReason = reason;
                Log.InstanceUnhealthy(_logger, Name, instance.Id, reason);
            }
        }
    }

    private void ReplaceInstances(DateTimeOffset now)
    {
        if ((_suspended & (ScalingProcesses.ReplaceUnhealthy | ScalingProcesses.Terminate)) != 0)
        {
            return;
        }

        // At most 10 % of desired capacity is being replaced at a time, and one at a time for small groups.
        var limit = Math.Max(1, _desired / 10);
        var inProgress = _replacementsOwed + _instances.Count(i => i.IsReplacement && i.State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait);
        var lifetime = _options.MaxInstanceLifetime;
        var due = _instances
            .Where(i => i.State == ScalingInstanceState.InService)
            .Select(i => (Instance: i, Reason: i.Health == ScalingInstanceHealth.Unhealthy ? i.HealthReason
                : lifetime > TimeSpan.Zero && now - i.LaunchedAt >= lifetime ? $"it reached the maximum instance lifetime of {lifetime}" : null))
            .Where(x => x.Reason is not null)
            .OrderBy(x => x.Instance.Health == ScalingInstanceHealth.Unhealthy ? 0 : 1)
            .ToList();
        foreach (var (instance, reason) in due)
        {
            if (inProgress >= limit)
            {
                break;
            }

            inProgress++;
            _replacementsOwed++;
            BeginTerminate(instance,
                $"At {Stamp(now)} instance {instance.Id} was taken out of service because {reason}; it will be replaced.",
                now);
        }
    }

    private void AdjustCapacity(DateTimeOffset now)
    {
        var counted = _instances.Count(i => i.CountsTowardCapacity);
        if (counted < _desired)
        {
            if ((_suspended & ScalingProcesses.Launch) != 0 || now < _launchBlockedUntil)
            {
                return;
            }

            for (var n = counted; n < _desired; n++)
            {
                var zone = ZoneWithFewest();
                var why = _replacementsOwed > 0
                    ? $"At {Stamp(now)} an instance was started to replace an instance taken out of service."
                    : $"{_desiredCause} At {Stamp(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {n} to {n + 1}.";
                BeginLaunch(zone, why, now, rebalance: false);
            }
        }
        else if (counted > _desired)
        {
            if ((_suspended & ScalingProcesses.Terminate) != 0 || _instances.Any(i => i.IsRebalanceLaunch && i.State != ScalingInstanceState.InService))
            {
                return;
            }

            for (var n = counted; n > _desired; n--)
            {
                if (ChooseVictim(now) is not { } victim)
                {
                    break;
                }

                var why = victim.IsRebalanceLaunch || _instances.Any(i => i.IsRebalanceLaunch)
                    ? $"At {Stamp(now)} an instance was taken out of service to balance instances across zones after a rebalancing launch."
                    : $"{_desiredCause} At {Stamp(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {n} to {n - 1}.";
                foreach (var i in _instances)
                {
                    i.IsRebalanceLaunch = false;
                }

                BeginTerminate(victim, why, now);
            }
        }
    }

    private void Rebalance(DateTimeOffset now)
    {
        if (_zones.Length < 2 || (_suspended & (ScalingProcesses.AZRebalance | ScalingProcesses.Launch | ScalingProcesses.Terminate)) != 0
            || _instances.Any(i => i.State != ScalingInstanceState.InService)
            || _instances.Count != _desired)
        {
            return;
        }

        var counts = ZoneCounts();
        var most = counts.MaxBy(c => c.Count);
        var fewest = counts.MinBy(c => c.Count);
        var movable = _instances.Any(i => i.Zone == most.Zone && !i.IsProtectedFromScaleIn);

        // Rebalancing launches first and may exceed max by max(10 %, 1) until the extra instance is terminated.
        var allowance = Math.Max(1, _max / 10);
        if (most.Count - fewest.Count > 1 && movable && _instances.Count + 1 <= _max + allowance)
        {
            var launched = BeginLaunch(fewest.Zone,
                $"At {Stamp(now)} an instance was started to rebalance instances across zones ({Describe(counts)}).", now, rebalance: true);
            launched.IsRebalanceLaunch = true;
        }
    }

    private ScalingInstance? ChooseVictim(DateTimeOffset now)
    {
        var candidates = _instances
            .Where(i => i.State == ScalingInstanceState.InService && !i.IsProtectedFromScaleIn)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        // Zone balance first: the zone(s) with the most instances that have an unprotected one.
        var counts = ZoneCounts().Where(c => candidates.Any(i => i.Zone == c.Zone)).ToList();
        var most = counts.Max(c => c.Count);
        var zones = counts.Where(c => c.Count == most).Select(c => c.Zone).ToHashSet();
        candidates = candidates.Where(i => zones.Contains(i.Zone)).ToList();
        return TerminationPolicy.Choose(_terminationPolicies,
            new TerminationPolicyArguments(candidates, now, _launcher.LaunchTemplateVersion), _random);
    }

    private List<(string? Zone, int Count)> ZoneCounts() =>
        _zones.Select(z => (z, _instances.Count(i => i.CountsTowardCapacity && i.Zone == z))).ToList();

    private string? ZoneWithFewest()
    {
        var counts = ZoneCounts();
        return counts.MinBy(c => c.Count).Zone;
    }

    private static string Describe(List<(string? Zone, int Count)> counts) =>
        string.Join(", ", counts.Select(c => $"{c.Zone}: {c.Count}"));

    private ScalingInstance BeginLaunch(string? zone, string cause, DateTimeOffset now, bool rebalance)
    {
        var id = $"{Name}-{++_instanceSequence}";
        var instance = new ScalingInstance(id, zone, _launcher.LaunchTemplateVersion, now, _options.NewInstancesProtectedFromScaleIn)
        {
            State = ScalingInstanceState.Pending,
        };
        if (!rebalance && _replacementsOwed > 0)
        {
            instance.IsReplacement = true;
            _replacementsOwed--;
        }

        _instances.Add(instance);
        instance.Activity = StartActivity(ScalingActivityKind.Launch,
            $"Launching a new instance: {id}{(zone is null ? "" : " in zone " + zone)}", cause, now, id);
        _deferred.Add(() => _ = LaunchAsync(instance));
        return instance;
    }

    private async Task LaunchAsync(ScalingInstance instance)
    {
        LaunchedInstance launched;
        try
        {
            launched = await _launcher.LaunchAsync(instance.Zone, _disposed.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed launch is an activity outcome, recorded and retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Run(now => OnLaunchFailed(instance, ex, now), reconcile: false);
            return;
        }

        if (!Run(now => OnLaunched(instance, launched, now), reconcile: true) && _disposed.IsCancellationRequested)
        {
            // Launched after the group was disposed: nobody else will stop it.
            await StopQuietlyAsync(launched).ConfigureAwait(false);
        }
    }

    private async Task StopQuietlyAsync(LaunchedInstance launched)
    {
        try
        {
            await _launcher.StopAsync(launched, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nothing more can be done for an instance launched after disposal.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StopFailed(_logger, Name, launched.Id, ex);
        }
    }

    private void OnLaunchFailed(ScalingInstance instance, Exception ex, DateTimeOffset now)
    {
        _instances.Remove(instance);
        instance.State = ScalingInstanceState.Terminated;
        if (instance.IsReplacement)
        {
            _replacementsOwed++;
        }

        _launchBlockedUntil = now + _options.LaunchRetryDelay;
        EndActivity(instance.Activity!, now, ScalingActivityStatus.Failed, $"The launcher failed: {ex.Message} Launching again after {_options.LaunchRetryDelay}.");
    }

    private void OnLaunched(ScalingInstance instance, LaunchedInstance launched, DateTimeOffset now)
    {
        instance.Launched = launched;
        instance.LaunchTemplateVersion = launched.LaunchTemplateVersion;
        var hooks = _options.LifecycleHooks.Where(h => h.Transition == LifecycleTransition.Launching).ToList();
        if (hooks.Count == 0)
        {
            EnterService(instance, now);
            return;
        }

        instance.State = ScalingInstanceState.PendingWait;
        instance.Hooks = hooks.ToDictionary(h => h.Name, h => new ScalingInstance.HookWait(h, now + h.HeartbeatTimeout), StringComparer.Ordinal);
        RaiseHookEvents(instance, hooks);
    }

    private void RaiseHookEvents(ScalingInstance instance, List<LifecycleHook> hooks)
    {
        foreach (var hook in hooks)
        {
            _deferred.Add(() => LifecycleActionRequired?.Invoke(this, new LifecycleActionEventArgs(instance, hook)));
        }
    }

    private void EnterService(ScalingInstance instance, DateTimeOffset now)
    {
        instance.State = ScalingInstanceState.InService;
        instance.InServiceAt = now;
        instance.Hooks = null;
        EndActivity(instance.Activity!, now, ScalingActivityStatus.Successful);
        PublishEndpoints();
    }

    private void BeginTerminate(ScalingInstance instance, string cause, DateTimeOffset now)
    {
        var wasInService = instance.State == ScalingInstanceState.InService;
        instance.State = ScalingInstanceState.Terminating;
        instance.TerminationCause = cause;
        instance.IsRebalanceLaunch = false;
        instance.Activity = StartActivity(ScalingActivityKind.Terminate,
            $"Terminating instance: {instance.Id}{(instance.Zone is null ? "" : " in zone " + instance.Zone)}", cause, now, instance.Id);
        instance.DrainDeadline = now;
        if (wasInService)
        {
            // Keep the balancer's state object: the pool forgets the endpoint once it leaves the source, but its
            // leases still count down on this object.
            var id = instance.Endpoint!.Id;
            instance.DrainState = PoolStates().GetValueOrDefault(id);
            instance.DrainDeadline = now + _options.DeregistrationDelay;
            PublishEndpoints();
        }

    }

    private void ProgressDraining(DateTimeOffset now)
    {
        foreach (var instance in _instances.Where(i => i.State == ScalingInstanceState.Terminating).ToList())
        {
            var inFlight = instance.DrainState?.ActiveRequests ?? 0;
            if (inFlight > 0 && now < instance.DrainDeadline)
            {
                continue;
            }

            var hooks = _options.LifecycleHooks.Where(h => h.Transition == LifecycleTransition.Terminating).ToList();
            if (hooks.Count == 0)
            {
                BeginStop(instance);
                continue;
            }

            instance.State = ScalingInstanceState.TerminatingWait;
            instance.Hooks = hooks.ToDictionary(h => h.Name, h => new ScalingInstance.HookWait(h, now + h.HeartbeatTimeout), StringComparer.Ordinal);
            RaiseHookEvents(instance, hooks);
        }
    }

    private void ProgressHooks(DateTimeOffset now)
    {
        foreach (var instance in _instances.Where(i => i.State is ScalingInstanceState.PendingWait or ScalingInstanceState.TerminatingWait).ToList())
        {
            string? timedOut = null;
            foreach (var wait in instance.Hooks!.Values)
            {
                if (wait.Result is null && now >= wait.Deadline)
                {
                    wait.Result = wait.Hook.DefaultResult;
                    timedOut = wait.Hook.Name;
                }
            }

            var abandoned = instance.Hooks.Values.FirstOrDefault(w => w.Result == LifecycleActionResult.Abandon);
            var done = abandoned is not null || instance.Hooks.Values.All(w => w.Result is not null);
            if (!done)
            {
                continue;
            }

            var how = abandoned is null ? "CONTINUE" : $"ABANDON from hook '{abandoned.Hook.Name}'";
            if (timedOut is not null)
            {
                how += $" (hook '{timedOut}' timed out after {instance.Hooks[timedOut].Hook.HeartbeatTimeout} without completion and took its default result)";
            }

            if (instance.State == ScalingInstanceState.TerminatingWait)
            {
                BeginStop(instance);
                continue;
            }

            if (abandoned is null)
            {
                EnterService(instance, now);
                continue;
            }

            // An abandoned launch is terminated; the capacity gap launches a replacement.
            if (instance.IsReplacement)
            {
                _replacementsOwed++;
                instance.IsReplacement = false;
            }

            EndActivity(instance.Activity!, now, ScalingActivityStatus.Cancelled, $"The launch lifecycle action ended with {how}.");
            instance.Activity = StartActivity(ScalingActivityKind.Terminate, $"Terminating instance: {instance.Id}",
                $"At {Stamp(now)} the launch of instance {instance.Id} was abandoned: {how}.", now, instance.Id);
            BeginStop(instance);
        }
    }

    private void BeginStop(ScalingInstance instance)
    {
        instance.State = ScalingInstanceState.Stopping;
        instance.Hooks = null;
        _deferred.Add(() => _ = StopAsync(instance));
    }

    private async Task StopAsync(ScalingInstance instance)
    {
        Exception? failure = null;
        try
        {
            await _launcher.StopAsync(instance.Launched!, _disposed.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The instance leaves the group either way; the failure is recorded on the activity.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
            Log.StopFailed(_logger, Name, instance.Id, ex);
        }

        Run(now =>
        {
            instance.State = ScalingInstanceState.Terminated;
            _instances.Remove(instance);
            _lastTotals.Remove(instance.Id);
            EndActivity(instance.Activity!, now,
                failure is null ? ScalingActivityStatus.Successful : ScalingActivityStatus.Failed,
                failure is null ? null : $"The launcher failed to stop it: {failure.Message}");
        }, reconcile: true);
    }

    private void PublishEndpoints()
    {
        var endpoints = _instances.Where(i => i.State == ScalingInstanceState.InService).Select(i => i.Endpoint!).ToArray();
        if (endpoints.SequenceEqual(_published))
        {
            return;
        }

        _published = endpoints;
        _deferred.Add(() => _source.Update(endpoints));
    }

    private ScalingActivity StartActivity(ScalingActivityKind kind, string description, string cause, DateTimeOffset now, string? instanceId)
    {
        var activity = new ScalingActivity(++_activitySequence, kind, description, cause, now, instanceId);
        _activities.Enqueue(activity);
        while (_activities.Count > _options.MaxActivityHistory)
        {
            _activities.Dequeue();
        }

        Log.ActivityStarted(_logger, Name, description, cause);
        _deferred.Add(() => ActivityStarted?.Invoke(this, new ScalingActivityEventArgs(activity)));
        return activity;
    }

    private void EndActivity(ScalingActivity activity, DateTimeOffset now, ScalingActivityStatus status, string? message = null)
    {
        if (activity.Status != ScalingActivityStatus.InProgress)
        {
            return;
        }

        activity.End(now, status, message);
        ScalingMetrics.RecordActivity(Name, activity);
        Log.ActivityEnded(_logger, Name, activity.Description, status, message ?? "");
        _deferred.Add(() => ActivityEnded?.Invoke(this, new ScalingActivityEventArgs(activity)));
    }

    /// <summary>The pool's state of each endpoint it routes to (draining endpoints left out).</summary>
    private Dictionary<string, EndpointState> PoolStates()
    {
        var states = new Dictionary<string, EndpointState>(StringComparer.Ordinal);
        foreach (var state in _pool?.Endpoints ?? [])
        {
            if (state.Health != EndpointHealth.Draining)
            {
                states.TryAdd(state.Endpoint.Id, state);
            }
        }

        return states;
    }

    private ScalingInstance? Find(string instanceId) => _instances.FirstOrDefault(i => i.Id == instanceId);

    private ScalingInstance.HookWait? FindWait(string instanceId, string hookName) =>
        Find(instanceId)?.Hooks is { } hooks && hooks.TryGetValue(hookName, out var wait) && wait.Result is null ? wait : null;

    internal static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Information, "Scaling group '{Group}': {Description}. Cause: {Cause}", EventName = "ActivityStarted")]
        public static partial void ActivityStarted(ILogger logger, string group, string description, string cause);

        [LoggerMessage(102, LogLevel.Information, "Scaling group '{Group}': {Description} ended {Status}. {Message}", EventName = "ActivityEnded")]
        public static partial void ActivityEnded(ILogger logger, string group, string description, ScalingActivityStatus status, string message);

        [LoggerMessage(103, LogLevel.Warning, "Scaling group '{Group}': instance {Instance} is unhealthy because {Reason}.", EventName = "InstanceUnhealthy")]
        public static partial void InstanceUnhealthy(ILogger logger, string group, string instance, string reason);

        [LoggerMessage(104, LogLevel.Warning, "Scaling group '{Group}': stopping instance {Instance} failed.", EventName = "StopFailed")]
        public static partial void StopFailed(ILogger logger, string group, string instance, Exception exception);

        [LoggerMessage(105, LogLevel.Error, "Scaling group '{Group}': a reconcile pass failed; the next tick tries again.", EventName = "ReconcileFailed")]
        public static partial void ReconcileFailed(ILogger logger, string group, Exception exception);

        [LoggerMessage(106, LogLevel.Warning, "Scaling group '{Group}': an event handler threw.", EventName = "HandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, string group, Exception exception);
    }
}

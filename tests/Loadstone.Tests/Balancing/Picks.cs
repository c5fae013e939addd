namespace Loadstone.Tests.Balancing;

/// <summary>Builds pools over fake addresses and records which endpoint each pick chose.</summary>
internal static class Picks
{
    /// <summary>A pool over http://10.0.0.{i+1}:8080 with the given weights, in that order.</summary>
    public static ServicePool Pool(string strategy, int seed, params int[] weights) =>
        Pool(strategy, seed, null, weights);

    public static ServicePool Pool(string strategy, int seed, TimeProvider? time, params int[] weights)
    {
        var options = new LoadBalancingOptions { Strategy = strategy };
        for (var i = 0; i < weights.Length; i++)
        {
            options.Endpoints.Add(Address(i), weight: weights[i]);
        }

        return new ServicePool("svc", options, new ServicePoolDependencies
        {
            TimeProvider = time ?? TimeProvider.System,
            Random = new Random(seed),
        });
    }

    public static string Address(int index) => $"http://10.0.0.{index + 1}:8080";

    /// <summary>The index (in <see cref="ServicePool.Endpoints"/>) of the endpoint a lease chose.</summary>
    public static int IndexOf(ServicePool pool, EndpointLease lease)
    {
        var endpoints = pool.Endpoints;
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (ReferenceEquals(endpoints[i], lease.State))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{lease.Endpoint} is not an endpoint of the pool.");
    }

    /// <summary>Acquires and at once completes <paramref name="count"/> leases; returns the chosen indexes in order.</summary>
    public static int[] Sequence(ServicePool pool, int count)
    {
        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            var lease = pool.Acquire();
            result[i] = IndexOf(pool, lease);
            lease.Complete(RequestOutcome.Success);
        }

        return result;
    }

    /// <summary>Picks per endpoint index over <paramref name="count"/> immediately completed leases.</summary>
    public static int[] Count(ServicePool pool, int count) => Histogram(Sequence(pool, count), pool.Endpoints.Count);

    public static int[] Histogram(IEnumerable<int> sequence, int size)
    {
        var counts = new int[size];
        foreach (var index in sequence)
        {
            counts[index]++;
        }

        return counts;
    }

    /// <summary>Pearson's chi-square statistic of <paramref name="observed"/> against expected shares.</summary>
    public static double ChiSquare(int[] observed, double[] shares)
    {
        var total = observed.Sum();
        var sumShares = shares.Sum();
        var chi = 0d;
        for (var i = 0; i < observed.Length; i++)
        {
            var expected = total * shares[i] / sumShares;
            chi += (observed[i] - expected) * (observed[i] - expected) / expected;
        }

        return chi;
    }

    /// <summary>Critical values of the chi-square distribution at p = 0.001, by degrees of freedom (1-9).</summary>
    public static double ChiSquareCritical001(int degreesOfFreedom) => degreesOfFreedom switch
    {
        1 => 10.828,
        2 => 13.816,
        3 => 16.266,
        4 => 18.467,
        5 => 20.515,
        6 => 22.458,
        7 => 24.322,
        8 => 26.124,
        9 => 27.877,
        _ => throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom)),
    };

    /// <summary>The longest run of consecutive picks of <paramref name="index"/>.</summary>
    public static int LongestRun(int[] sequence, int index)
    {
        int longest = 0, current = 0;
        foreach (var pick in sequence)
        {
            current = pick == index ? current + 1 : 0;
            longest = Math.Max(longest, current);
        }

        return longest;
    }
}

/// <summary>Leases opened directly on a chosen endpoint, to set up in-flight load without going through a strategy.</summary>
internal static class Load
{
    public static List<EndpointLease> Hold(ServicePool pool, int index, int count)
    {
        var leases = new List<EndpointLease>(count);
        for (var i = 0; i < count; i++)
        {
            leases.Add(new EndpointLease(pool.Endpoints[index], pool.TimeProvider));
        }

        return leases;
    }

    public static void CompleteAll(IEnumerable<EndpointLease> leases)
    {
        foreach (var lease in leases)
        {
            lease.Complete(RequestOutcome.Success);
        }
    }
}

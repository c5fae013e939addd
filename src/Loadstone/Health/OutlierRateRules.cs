namespace Loadstone;

/// <summary>
/// The interval rules of outlier detection, as Envoy's: success rate (an endpoint well below its peers' mean) and failure
/// rate (an endpoint failing at least a fixed share), each over the endpoints with enough requests in the interval that
/// just ended, and only when enough endpoints qualify. Pure functions of the windows; the detector ejects.
/// </summary>
internal static class OutlierRateRules
{
    /// <summary>One endpoint's interval: the requests it completed and how many failed.</summary>
    internal readonly record struct Window(EndpointState State, int Requests, int Failures)
    {
        public double SuccessRate => Requests == 0 ? 1 : (double)(Requests - Failures) / Requests;
    }

    /// <summary>
    /// Envoy's success-rate rule: over the endpoints with at least <see cref="OutlierDetectionOptions.SuccessRateMinimumRequests"/>
    /// (when there are at least <see cref="OutlierDetectionOptions.SuccessRateMinimumHosts"/> of them), those whose success
    /// rate is below mean − factor × standard deviation (of the population, as Envoy's).
    /// </summary>
    public static IEnumerable<EndpointState> SuccessRateOutliers(IReadOnlyList<Window> windows, OutlierDetectionOptions options)
    {
        if (options.SuccessRateStdevFactor <= 0)
        {
            return [];
        }

        var judged = windows.Where(w => w.Requests >= options.SuccessRateMinimumRequests).ToList();
        if (judged.Count == 0 || judged.Count < options.SuccessRateMinimumHosts)
        {
            return [];
        }

        var threshold = Threshold(judged.Select(w => w.SuccessRate).ToList(), options.SuccessRateStdevFactor);
        return judged.Where(w => w.SuccessRate < threshold).Select(w => w.State).ToList();
    }

    /// <summary>
    /// The failure-rate rule (Envoy's failure percentage): over the endpoints with at least
    /// <see cref="OutlierDetectionOptions.FailureRateMinimumRequests"/> (when there are at least
    /// <see cref="OutlierDetectionOptions.FailureRateMinimumHosts"/> of them), those failing at least the threshold's share.
    /// </summary>
    public static IEnumerable<EndpointState> FailureRateOutliers(IReadOnlyList<Window> windows, OutlierDetectionOptions options)
    {
        if (options.FailureRateThreshold <= 0)
        {
            return [];
        }

        var judged = windows.Where(w => w.Requests >= options.FailureRateMinimumRequests).ToList();
        if (judged.Count == 0 || judged.Count < options.FailureRateMinimumHosts)
        {
            return [];
        }

        return judged.Where(w => w.Failures >= options.FailureRateThreshold * w.Requests).Select(w => w.State).ToList();
    }

    /// <summary>mean − factor × σ of the rates: with rates {0.5, 1, 1, 1, 1} and factor 1.9, 0.9 − 1.9 × 0.2 = 0.52.</summary>
    internal static double Threshold(IReadOnlyList<double> rates, double factor)
    {
        var mean = rates.Average();
        var variance = rates.Sum(r => (r - mean) * (r - mean)) / rates.Count;
        return mean - (factor * Math.Sqrt(variance));
    }
}

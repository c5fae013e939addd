namespace Loadstone.ScalingSim;

/// <summary>
/// The day's load as the expected number of requests in flight, second by second: a diurnal curve (trough 20 at
/// 04:00, peak 200 at 16:00), slow multiplicative noise (AR(1) per minute, about ±10 %), and a flash-crowd spike of
/// +150 at 11:00 (1 min ramp, 10 min plateau, then decaying with a 5 min time constant). Seeded: the same seed gives
/// the same day. Requests arrive as a Poisson process at rate = expected in flight ÷ mean service time.
/// </summary>
internal sealed class LoadModel
{
    public const int SecondsPerDay = 86_400;

    public static readonly TimeSpan SpikeStart = TimeSpan.FromHours(11);

    private const double Mean = 110;
    private const double Swing = 90;
    private const double SpikeHeight = 150;
    private readonly double[] _noise; // per minute, multiplicative

    public LoadModel(int seed)
    {
        var random = new Random(seed);
        _noise = new double[(SecondsPerDay / 60) + 2];
        var n = 0.0;
        const double rho = 0.95;
        var sigma = 0.10 * Math.Sqrt(1 - (rho * rho));
        for (var i = 0; i < _noise.Length; i++)
        {
            n = (rho * n) + (sigma * Gaussian(random));
            _noise[i] = Math.Exp(n);
        }
    }

    /// <summary>The expected requests in flight at second <paramref name="s"/> of the day.</summary>
    public double ExpectedInFlight(double s)
    {
        var diurnal = Mean - (Swing * Math.Cos(2 * Math.PI * (s - (4 * 3600)) / SecondsPerDay));
        var minute = s / 60;
        var i = Math.Clamp((int)minute, 0, _noise.Length - 2);
        var f = minute - i;
        var noise = (_noise[i] * (1 - f)) + (_noise[i + 1] * f);
        return (diurnal * noise) + Spike(s);
    }

    private static double Spike(double s)
    {
        var t = s - SpikeStart.TotalSeconds;
        return t switch
        {
            < 0 => 0,
            < 60 => SpikeHeight * t / 60,
            < 660 => SpikeHeight,
            _ => SpikeHeight * Math.Exp(-(t - 660) / 300),
        };
    }

    public static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A Poisson draw (Knuth's method; means here stay below ~40 per tick).</summary>
    public static int Poisson(Random random, double mean)
    {
        if (mean <= 0)
        {
            return 0;
        }

        if (mean > 60)
        {
            return Math.Max(0, (int)Math.Round(mean + (Math.Sqrt(mean) * Gaussian(random))));
        }

        var limit = Math.Exp(-mean);
        var k = 0;
        var p = random.NextDouble();
        while (p > limit)
        {
            k++;
            p *= random.NextDouble();
        }

        return k;
    }
}

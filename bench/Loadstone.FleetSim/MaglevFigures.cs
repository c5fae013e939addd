using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Loadstone.FleetSim;

/// <summary>
/// Consistent hashing for sticky keys (<see cref="MaglevTable"/>): the keys that move when 1 of N endpoints leaves
/// (against the ideal 1/N), whether every key returns when it comes back (to a fresh table), how evenly the slots are
/// shared, the time to build a table and the memory it holds.
/// </summary>
internal static class MaglevFigures
{
    public static int Run(SimOptions o, TextWriter log)
    {
        var keys = new ulong[o.Keys];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = StableHash.Hash(string.Create(CultureInfo.InvariantCulture, $"user-{i}"));
        }

        var csv = new StringBuilder("endpoints,table_size,moved_mean,moved_max,times_ideal_mean,times_ideal_max,returned,min_share,max_share,build_ms_median,table_bytes,allocated_bytes\n");
        var rows = new List<object>();
        var misses = 0;
        foreach (var n in new[] { 100, 1000, 10_000 })
        {
            var ids = Subsets.Endpoints(n).Select(e => e.Id).ToArray();
            var table = MaglevTable.Build(ids);
            var before = keys.Select(k => table.Lookup(k)).ToArray();

            // Five removals spread over the id order; each compared with a fresh table of the rest.
            var moved = new List<double>();
            var returned = 0L;
            foreach (var removed in new[] { n / 10, 3 * n / 10, n / 2, 7 * n / 10, 9 * n / 10 })
            {
                var rest = ids.Where((_, i) => i != removed).ToArray();
                var after = MaglevTable.Build(rest);
                var count = 0;
                for (var k = 0; k < keys.Length; k++)
                {
                    var now = after.Lookup(keys[k]);
                    count += ids[before[k]] == rest[now] ? 0 : 1;
                }

                moved.Add((double)count / keys.Length);
            }

            var fresh = MaglevTable.Build(ids);
            for (var k = 0; k < keys.Length; k++)
            {
                returned += fresh.Lookup(keys[k]) == before[k] ? 1 : 0;
            }

            var owned = new int[n];
            for (var slot = 0UL; slot < (ulong)table.TableSize; slot++)
            {
                owned[table.Lookup(slot)]++;
            }

            var share = (double)table.TableSize / n;
            var times = new List<double>();
            long allocated = 0;
            for (var run = 0; run < 7; run++)
            {
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                var watch = Stopwatch.StartNew();
                _ = MaglevTable.Build(ids);
                times.Add(watch.Elapsed.TotalMilliseconds);
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            }

            times.Sort();
            var ideal = 1.0 / n;
            var meanMoved = moved.Average();
            var maxMoved = moved.Max();
            var returnedShare = (double)returned / keys.Length;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  N = {n,6} (M = {table.TableSize,9:N0}): 1 removed moves {meanMoved:P3} of {keys.Length:N0} keys on average, {maxMoved:P3} at most ({meanMoved / ideal:0.00} × / {maxMoved / ideal:0.00} × the ideal {ideal:P3}); back: {returnedShare:P2} return; slots per endpoint {owned.Min() / share:0.000}–{owned.Max() / share:0.000} × share; build median {times[times.Count / 2]:0.0} ms; table {table.MemoryBytes / 1024.0 / 1024:0.00} MiB, {allocated / 1024.0 / 1024:0.00} MiB allocated to build"));
            csv.Append(CultureInfo.InvariantCulture, $"{n},{table.TableSize},{meanMoved:0.######},{maxMoved:0.######},{meanMoved / ideal:0.###},{maxMoved / ideal:0.###},{returnedShare:0.######},{owned.Min() / share:0.####},{owned.Max() / share:0.####},{times[times.Count / 2]:0.##},{table.MemoryBytes},{allocated}\n");
            rows.Add(new
            {
                endpoints = n, table_size = table.TableSize, moved_mean = meanMoved, moved_max = maxMoved, times_ideal_mean = meanMoved / ideal, times_ideal_max = maxMoved / ideal,
                returned = returnedShare, min_share = owned.Min() / share, max_share = owned.Max() / share, build_ms_median = times[times.Count / 2], table_bytes = table.MemoryBytes, allocated_bytes = allocated,
            });
            misses += maxMoved <= 2 * ideal && returned == keys.Length ? 0 : 1;
        }

        Output.Write(o.OutputDirectory, "maglev", csv.ToString(), new { scenario = "maglev", machine = Output.Machine(), keys = o.Keys, tables = rows }, log);
        return misses;
    }
}

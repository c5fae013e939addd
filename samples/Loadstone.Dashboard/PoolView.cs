using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Loadstone.Dashboard;

/// <summary>
/// One pool of the dashboard: its <see cref="ServicePool.GetStatus"/> as a table, live (Spectre.Console) or as plain
/// text. Traffic share is each endpoint's part of the requests completed over the last two seconds.
/// </summary>
internal sealed class PoolView(string service, ServicePool pool, Func<IEnumerable<ScenarioBackend>> backends, LoadGenerator load)
{
    private static readonly TimeSpan ShareWindow = TimeSpan.FromSeconds(2);
    private readonly Queue<(TimeSpan At, Dictionary<string, long> Totals)> _history = new();
    private Dictionary<string, double> _shares = [];

    public string Service => service;

    public ServicePoolStatus Status { get; private set; } = pool.GetStatus();

    public LoadGenerator Load => load;

    public void Sample(TimeSpan elapsed)
    {
        Status = pool.GetStatus();
        var totals = Status.Endpoints.ToDictionary(e => e.Endpoint.Id, e => e.TotalRequests, StringComparer.Ordinal);
        _history.Enqueue((elapsed, totals));
        while (_history.Count > 1 && elapsed - _history.Peek().At > ShareWindow)
        {
            _history.Dequeue();
        }

        var oldest = _history.Peek().Totals;
        var deltas = totals.ToDictionary(t => t.Key, t => (double)(t.Value - oldest.GetValueOrDefault(t.Key)), StringComparer.Ordinal);
        var sum = deltas.Values.Sum();
        _shares = deltas.ToDictionary(d => d.Key, d => sum > 0 ? d.Value / sum : 0, StringComparer.Ordinal);
    }

    public IRenderable RenderCaption(string phase)
    {
        var poolState = Status.IsFailingOpen ? "[bold white on red] FAILING OPEN [/]" : "[bold black on green] OK [/]";
        return new Markup(string.Create(CultureInfo.InvariantCulture,
            $"service [bold]{service}[/] · {Status.Strategy} · pool {poolState} · load {load.RequestsPerSecond}/s · "
            + $"caller saw [green]{load.Succeeded} ok[/], [red]{load.Failed} failed[/] · [yellow]▶ {Markup.Escape(phase)}[/]"));
    }

    public IRenderable RenderTable()
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "Endpoint", "Zone", "State", "Reason", "In flight", "Share (last 2 s)", "Latency", "Requests", "Failed", "Ejections", "Weight" })
        {
            table.AddColumn(new TableColumn($"[bold]{column}[/]").NoWrap());
        }

        foreach (var e in Status.Endpoints)
        {
            var backend = Backend(e);
            var share = _shares.GetValueOrDefault(e.Endpoint.Id);
            var color = e.Health switch
            {
                EndpointHealth.Healthy or EndpointHealth.Unchecked => "green",
                EndpointHealth.Initial or EndpointHealth.Draining => "yellow",
                _ => "red",
            };
            table.AddRow(
                new Markup($"{backend?.Name ?? "?"} [grey]:{e.Endpoint.Address.Port}[/]{(backend?.IsRunning == false ? " [red]down[/]" : string.Empty)}"),
                new Text(e.Endpoint.Zone ?? "-"),
                new Markup($"[{color}]{e.Health}[/]"),
                new Text(e.Reason == EndpointHealthReason.None ? "-" : e.Reason.ToString()),
                new Text(e.ActiveRequests.ToString(CultureInfo.InvariantCulture)),
                new Markup(string.Create(CultureInfo.InvariantCulture, $"[blue]{Bar(share, 10)}[/] {share * 100,3:0} %")),
                new Text(string.Create(CultureInfo.InvariantCulture, $"{e.Latency.TotalMilliseconds,6:0.0} ms")),
                new Text(e.TotalRequests.ToString(CultureInfo.InvariantCulture)),
                new Text(e.FailedRequests.ToString(CultureInfo.InvariantCulture)),
                new Text(e.Ejections.ToString(CultureInfo.InvariantCulture)),
                new Text(string.Create(CultureInfo.InvariantCulture, $"{e.WeightFactor:0.00}")));
        }

        if (Status.Endpoints.Count == 0)
        {
            table.AddRow("(no endpoints)");
        }

        return table;
    }

    public void RenderPlain(StringBuilder text, string phase)
    {
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"  [{service}] strategy {Status.Strategy}  pool {(Status.IsFailingOpen ? "FAILING OPEN" : "ok")}  load {load.RequestsPerSecond}/s  ok {load.Succeeded}  failed {load.Failed}  -- {phase}"));
        text.AppendLine("    endpoint         zone    state        reason                           in-flight  share  latency    requests  failed  ejections  weight");
        foreach (var e in Status.Endpoints)
        {
            var backend = Backend(e);
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"    {(backend?.Name ?? "?") + (backend?.IsRunning == false ? " (down)" : string.Empty),-16} {e.Endpoint.Zone ?? "-",-7} {e.Health,-12} {e.Reason,-32} {e.ActiveRequests,9}  {_shares.GetValueOrDefault(e.Endpoint.Id),5:P0}  {e.Latency.TotalMilliseconds,6:0.0} ms  {e.TotalRequests,8}  {e.FailedRequests,6}  {e.Ejections,9}  {e.WeightFactor,6:0.00}"));
        }
    }

    private static string Bar(double share, int width)
    {
        var filled = (int)Math.Round(share * width);
        return new string('█', filled) + new string('░', width - filled);
    }

    private ScenarioBackend? Backend(EndpointStatus e) => backends().FirstOrDefault(b => b.Address == e.Endpoint.Id);
}

using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Loadstone.Dashboard;

/// <summary>
/// Turns <see cref="ServicePool.GetStatus"/> into the dashboard, live (Spectre.Console) or as plain text. Traffic share
/// is each endpoint's part of the requests completed over the last two seconds.
/// </summary>
internal sealed class DashboardView(string service, ServicePool pool, IReadOnlyList<ScenarioBackend> backends, LoadGenerator load,
    EventFeed events, TimeSpan length)
{
    private static readonly TimeSpan ShareWindow = TimeSpan.FromSeconds(2);
    private readonly Queue<(TimeSpan At, Dictionary<string, long> Totals)> _history = new();
    private ServicePoolStatus _status = pool.GetStatus();
    private Dictionary<string, double> _shares = [];
    private TimeSpan _elapsed;
    private string _phase = string.Empty;

    public void Sample(TimeSpan elapsed, string phase)
    {
        _elapsed = elapsed;
        _phase = phase;
        _status = pool.GetStatus();
        var totals = _status.Endpoints.ToDictionary(e => e.Endpoint.Id, e => e.TotalRequests, StringComparer.Ordinal);
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

    public IRenderable Render()
    {
        var poolState = _status.IsFailingOpen ? "[bold white on red] FAILING OPEN [/]" : "[bold black on green] OK [/]";
        var header = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]Loadstone[/] · service [bold]{service}[/] · strategy {_status.Strategy} · pool {poolState} · "
            + $"t = {_elapsed.TotalSeconds:0.0} s of {length.TotalSeconds:0} · load {load.RequestsPerSecond}/s · "
            + $"caller saw [green]{load.Succeeded} ok[/], [red]{load.Failed} failed[/]\n"
            + $"[yellow]▶ {Markup.Escape(_phase)}[/]"));

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "Endpoint", "Zone", "State", "Reason", "In flight", "Share (last 2 s)", "Latency", "Requests", "Failed", "Ejections", "Weight" })
        {
            table.AddColumn(new TableColumn($"[bold]{column}[/]").NoWrap());
        }

        foreach (var e in _status.Endpoints)
        {
            var backend = Backend(e);
            var share = _shares.GetValueOrDefault(e.Endpoint.Id);
            var color = e.Health switch
            {
                EndpointHealth.Healthy or EndpointHealth.Unavailable => "green",
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

        var recent = events.Latest(6);
        var log = new Panel(new Rows(recent.Count == 0 ? [new Text("(no state changes yet)")] : recent.Select(l => (IRenderable)new Text(l))))
            .Header("State changes (Loadstone logs)").Border(BoxBorder.Rounded);
        return new Rows(header, table, log);
    }

    public string RenderPlain()
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"--- t={_elapsed.TotalSeconds:0.0}s  service {service}  strategy {_status.Strategy}  pool {(_status.IsFailingOpen ? "FAILING OPEN" : "ok")}  load {load.RequestsPerSecond}/s  ok {load.Succeeded}  failed {load.Failed}"));
        text.AppendLine(CultureInfo.InvariantCulture, $"    {_phase}");
        text.AppendLine("    endpoint         zone    state        reason                           in-flight  share  latency    requests  failed  ejections  weight");
        foreach (var e in _status.Endpoints)
        {
            var backend = Backend(e);
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"    {(backend?.Name ?? "?") + (backend?.IsRunning == false ? " (down)" : string.Empty),-16} {e.Endpoint.Zone ?? "-",-7} {e.Health,-12} {e.Reason,-32} {e.ActiveRequests,9}  {_shares.GetValueOrDefault(e.Endpoint.Id),5:P0}  {e.Latency.TotalMilliseconds,6:0.0} ms  {e.TotalRequests,8}  {e.FailedRequests,6}  {e.Ejections,9}  {e.WeightFactor,6:0.00}"));
        }

        foreach (var line in events.Latest(3))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    log {line}");
        }

        return text.ToString();
    }

    private static string Bar(double share, int width)
    {
        var filled = (int)Math.Round(share * width);
        return new string('█', filled) + new string('░', width - filled);
    }

    private ScenarioBackend? Backend(EndpointStatus e) => backends.FirstOrDefault(b => b.Address == e.Endpoint.Id);
}

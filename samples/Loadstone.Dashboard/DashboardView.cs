using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Loadstone.Dashboard;

/// <summary>
/// The whole dashboard, live (Spectre.Console) or as plain text: one table per pool, the scaling group's panel and the
/// library's latest state-change logs.
/// </summary>
internal sealed class DashboardView(IReadOnlyList<PoolView> pools, ScalingView scaling, EventFeed events, TimeSpan length)
{
    private TimeSpan _elapsed;
    private IReadOnlyDictionary<string, string> _phases = new Dictionary<string, string>();

    public void Sample(TimeSpan elapsed, IReadOnlyDictionary<string, string> phases)
    {
        _elapsed = elapsed;
        _phases = phases;
        foreach (var pool in pools)
        {
            pool.Sample(elapsed);
        }
    }

    public IRenderable Render()
    {
        var parts = new List<IRenderable>
        {
            new Markup(string.Create(CultureInfo.InvariantCulture,
                $"[bold]Loadstone[/] · t = {_elapsed.TotalSeconds:0.0} s of {length.TotalSeconds:0} · {pools.Count} pools · "
                + $"scaling group [bold]{scaling.Group.Name}[/] feeds pool [bold]{scaling.Group.Name}[/]")),
        };
        foreach (var pool in pools)
        {
            parts.Add(pool.RenderCaption(_phases.GetValueOrDefault(pool.Service, string.Empty)));
            parts.Add(pool.RenderTable());
        }

        parts.Add(scaling.Render(activities: 5));
        var recent = events.Latest(4);
        parts.Add(new Panel(new Rows(recent.Count == 0 ? [new Text("(no state changes yet)")] : recent.Select(l => (IRenderable)new Text(l))))
            .Header("State changes (Loadstone logs)").Border(BoxBorder.Rounded).Expand());
        return new Rows(parts);
    }

    public string RenderPlain()
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"--- t={_elapsed.TotalSeconds:0.0}s of {length.TotalSeconds:0}"));
        foreach (var pool in pools)
        {
            pool.RenderPlain(text, _phases.GetValueOrDefault(pool.Service, string.Empty));
        }

        scaling.RenderPlain(text, activities: 5);
        foreach (var line in events.Latest(3))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    log {line}");
        }

        return text.ToString();
    }
}
